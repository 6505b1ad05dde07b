// The update-step benchmark's in-browser peers: the lab's update (see reference.js for the maths)
// written idiomatically in TensorFlow.js and in jax-js, timed in the same browser as the lab.
//
//   window.runPeers(probes, { updates = 50, warmup = 5, only }) → Promise<result[]>
//
// For every peer/backend and every probe (one per batch size) a peer is built from exactly the
// probe's parameters and batch, and stepped:
//   step 1  its loss (and norms) are read and checked against the lab's loss (probe.loss) and a
//           float64 reference (reference.js);
//   step 2  its loss, now after one Adam step, is checked against the reference's — this checks
//           the gradients and the Adam update, not only the forward pass;
//   `warmup` more steps (jit compilation, shader compilation, allocator warm-up), then
//   `updates` timed steps: ms is their median, mean_ms their mean (performance.now() around each step).
// One step = forward, backward, the per-model squared gradient norms, Adam on all 4 parameters,
// and reading the [M] norms back to JS (the read forces the step to finish; the lab reads its
// results back too). The batch is uploaded once, before step 1, and is not part of the step.
//
// A backend the browser does not offer, or a peer that fails, gives a result with `error` and no
// `ms`; runPeers never throws for that. `only` (optional) is a list like ["tfjs/wasm", "jax-js"]
// selecting peers or peer/backend pairs.
import * as jax from "./node_modules/@jax-js/jax/dist/index.js";
import { BETA1, BETA2, EPSILON, MASK, referenceOf, close } from "./reference.js";

// TensorFlow.js is loaded by index.html as its UMD bundles (tf.min.js, then tf-backend-wasm.min.js,
// which registers the "wasm" backend on the same global `tf`): the packages' documented
// no-bundler use, and it keeps one tfjs-core instance for all three backends.
const tf = globalThis.tf;
const { numpy: np, nn, tree, jit, valueAndGrad } = jax;

const TFJS_BACKENDS = ["wasm", "webgl", "cpu"];
const JAX_BACKENDS = ["wasm", "webgpu"];
const WASM_DIR = new URL("node_modules/@tensorflow/tfjs-backend-wasm/dist/", location.href).href;

const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = s.length >> 1;
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const errorText = (err) => (err && err.message) || String(err);

// ---------------------------------------------------------------------------------------------
// What the browser offers: WebGPU adapter, WebGL2 renderer. Headless Chromium without a GPU
// offers both only through SwiftShader (a CPU rasteriser), which every GPU result names.
// ---------------------------------------------------------------------------------------------
let environment;
async function browserEnvironment() {
    if (environment) return environment;
    environment = { webgpu: null, webgpu_error: null, webgl: null, webgl_error: null, cross_origin_isolated: self.crossOriginIsolated };
    try {
        if (!navigator.gpu) environment.webgpu_error = "navigator.gpu is missing (WebGPU not exposed: needs a secure context, and in headless Chromium --enable-unsafe-webgpu)";
        else {
            const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
            if (!adapter) environment.webgpu_error = "navigator.gpu.requestAdapter() gave no adapter";
            else {
                const info = adapter.info ?? {};
                environment.webgpu = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" / ") || "unknown adapter";
            }
        }
    } catch (err) {
        environment.webgpu_error = `WebGPU: ${errorText(err)}`;
    }
    try {
        const gl = document.createElement("canvas").getContext("webgl2");
        if (!gl) environment.webgl_error = "no WebGL2 context";
        else {
            const ext = gl.getExtension("WEBGL_debug_renderer_info");
            environment.webgl = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
            gl.getExtension("WEBGL_lose_context")?.loseContext();
        }
    } catch (err) {
        environment.webgl_error = `WebGL2: ${errorText(err)}`;
    }
    return environment;
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js peer
//
// Idiomatic tfjs training: the parameters are tf.Variables, tf.variableGrads() gives the loss
// and the gradients of every variable, tf.train.adam(...).applyGradients() applies Adam, and the
// whole step sits in tf.tidy() so every intermediate is freed (tfjs has no jit: each op is one
// kernel dispatch, on every backend). The two dense layers use tf.fused.matMul with the bias
// fused in where the backend allows it (fusion with a non-linear activation is turned off by tfjs
// under a gradient tape, so tanh stays a separate op). tf.train.adam takes one learning rate, so the peer asserts that the
// probe's per-model rates are all equal (the lab's case: 0.003 for every model) and uses it;
// ε is passed explicitly, since tfjs's default is the backend's epsilon (1e-7), not 1e-8.
// ---------------------------------------------------------------------------------------------
let tfjsVariableId = 0;

/** Switches tfjs to `backend`; returns facts about it, or throws why it is not available. */
async function tfjsUse(backend) {
    if (!tf) throw new Error("tfjs did not load (node_modules/@tensorflow/tfjs/dist/tf.min.js)");
    const facts = { version: `tfjs ${tf.version.tfjs}` };
    if (backend === "wasm") {
        if (!tf.wasm) throw new Error("tfjs-backend-wasm did not load");
        // Non-threaded SIMD binary: the page is not cross-origin isolated (no SharedArrayBuffer),
        // so the threaded build cannot run; say so explicitly rather than rely on detection.
        // The binary is picked in the backend's init() from the flags WASM_HAS_SIMD_SUPPORT
        // (WebAssembly.validate of a SIMD program) and WASM_HAS_MULTITHREAD_SUPPORT.
        tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
        if (!tfjsUse.wasmPathsSet) {
            tf.wasm.setWasmPaths(WASM_DIR);
            tfjsUse.wasmPathsSet = true;
        }
        facts.version += ` + tfjs-backend-wasm ${tf.wasm.version_wasm}`;
    }
    if (backend === "webgl") {
        const env = await browserEnvironment();
        if (!env.webgl) throw new Error(env.webgl_error ?? "no WebGL2");
    }
    let ok;
    try {
        ok = await tf.setBackend(backend);
    } catch (err) {
        throw new Error(`tf.setBackend("${backend}") failed: ${errorText(err)}`);
    }
    if (!ok || tf.getBackend() !== backend) throw new Error(`tf.setBackend("${backend}") failed (the backend did not initialise)`);
    await tf.ready();
    if (backend === "wasm") {
        facts.simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
        facts.threads = Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
        // What was actually fetched (the proof that the SIMD build is the one running).
        const fetched = performance.getEntriesByType("resource").map((e) => e.name).filter((n) => n.endsWith(".wasm") && n.includes("tfjs-backend-wasm"));
        facts.wasm_binary = fetched.map((n) => n.slice(n.lastIndexOf("/") + 1)).join(",") || null;
        if (facts.simd && facts.wasm_binary !== "tfjs-backend-wasm-simd.wasm") throw new Error(`expected the SIMD binary, the backend loaded ${facts.wasm_binary}`);
    }
    if (backend === "webgl") facts.adapter = (await browserEnvironment()).webgl;
    return facts;
}

/** Builds the tfjs peer for one probe on the current backend. */
function tfjsPeer(probe) {
    const { rows: B, models: M, input: O, hidden: H, actions: A } = probe;
    if (probe.lr.some((r) => r !== probe.lr[0])) throw new Error(`tf.train.adam takes one learning rate; the probe's per-model rates differ (${probe.lr})`);
    const before = tf.memory().numTensors;
    const id = ++tfjsVariableId;
    // (tidy frees the initial-value tensor; the variable keeps its own reference to the data)
    const variable = (values, shape, name) => tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), true, `${name}_${id}`));
    const params = {
        w1: variable(probe.w1, [M, O, H], "w1"),
        b1: variable(probe.b1, [M, 1, H], "b1"),
        w2: variable(probe.w2, [M, H, A], "w2"),
        b2: variable(probe.b2, [M, 1, A], "b2"),
    };
    const varList = [params.w1, params.b1, params.w2, params.b2];
    const batch = {
        x: tf.tensor(probe.x, [M, B, O], "float32"),
        chosen: tf.tensor(probe.chosen, [M, B], "int32"),
        legal: tf.tensor(probe.legal, [M, B, A], "float32"),
        advantage: tf.tensor(probe.advantage, [M, B], "float32"),
        weight: tf.tensor(probe.weight, [M, B], "float32"),
    };
    const optimizer = tf.train.adam(probe.lr[0], BETA1, BETA2, EPSILON);

    // x·W + b: one fused kernel where the backend's _FusedMatMul takes a per-model [M,1,N] bias
    // (webgl, cpu); the wasm backend's takes only a rank-1 bias, so there it is matMul + add.
    const dense = tf.getBackend() === "wasm"
        ? (a, b, bias) => tf.add(tf.matMul(a, b), bias)
        : (a, b, bias) => tf.fused.matMul({ a, b, bias });
    // The loss at the current variables (read inside variableGrads, which records the tape).
    const loss = () => {
        const h = tf.tanh(dense(batch.x, params.w1, params.b1));                                    // [M,B,H]
        const mask = tf.mul(tf.sub(batch.legal, 1), MASK);                                          // 0 or −1e9
        const logits = tf.add(dense(h, params.w2, params.b2), mask);                                // [M,B,A]
        const logp = tf.logSoftmax(logits);                                                         // over A (last axis)
        // oneHot in its default int32, then cast: tfjs-backend-wasm 4.22's OneHot with dtype
        // "float32" writes the integer bit pattern (1 comes out as 1.4e-45: loss and gradients 0).
        const onehot = tf.cast(tf.oneHot(batch.chosen, A), "float32");
        const picked = tf.sum(tf.mul(onehot, logp), 2);                                             // logp[m,b,chosen]
        return tf.neg(tf.sum(tf.mul(tf.mul(batch.weight, batch.advantage), picked)));
    };

    return {
        /** One update; returns the norms (and the loss before the update, when asked). */
        async step(readLoss) {
            const [norms, value] = tf.tidy(() => {
                const { value, grads } = tf.variableGrads(loss, varList);
                // Per-model squared gradient norms: each gradient has the model on axis 0.
                const norms = tf.addN(varList.map((v) => tf.sum(tf.square(grads[v.name]), [1, 2])));
                optimizer.applyGradients(grads);
                return [norms, value];
            });
            // dataSync: the direct, blocking read. `await data()` timed the same here (WebGL on
            // SwiftShader, wasm), so the simpler read is kept.
            const out = { norms: norms.dataSync() };
            if (readLoss) out.loss = value.dataSync()[0];
            tf.dispose([norms, value]);
            return out;
        },
        /** Live tensors of this peer beyond its own (variables, batch, Adam state): must stay 0. */
        extraTensors: () => tf.memory().numTensors - before - varList.length - Object.keys(batch).length - 2 - 2 * varList.length,
        dispose() {
            tf.dispose([...varList, ...Object.values(batch)]);
            optimizer.dispose();
            return tf.memory().numTensors - before; // tensors left behind: must be 0
        },
    };
}

// ---------------------------------------------------------------------------------------------
// jax-js peer
//
// Idiomatic jax-js: the whole update — valueAndGrad of the loss, the norms, Adam — is one pure
// function of (params, optimizer state, batch, lr), compiled with jit() (jax-js fuses the
// elementwise work into few kernels and records the execution plan once per input shape), and
// called once per step. Per-model learning rates are an [M,1,1] array, so Adam follows the lab's
// formula exactly. Adam's step count t lives in the optimizer state as a float32 scalar.
//
// Memory: jax-js arrays are reference counted with move semantics (README "Reference counting"):
// passing an array to any function consumes one reference, `.ref` adds one, `.dispose()` drops
// one; `data()` consumes the array it reads. So inside the step every value used twice is taken
// with `.ref` on all but its last use; the caller passes the batch and lr with tree.ref() (they
// are reused every step), and hands over params and state (the step consumes them and returns
// their successors). Leak check: after thousands of steps every array the peer holds must still
// have refCount 1.
// ---------------------------------------------------------------------------------------------
const PARAM_KEYS = ["w1", "b1", "w2", "b2"];

/** The loss (a scalar) of params `p` on batch `bt`; consumes both, as jax-js functions must. */
function jaxLoss(p, bt) {
    const A = bt.legal.shape[2];
    const h = np.tanh(np.matmul(bt.x, p.w1).add(p.b1));                                             // [M,B,H]
    const logits = np.matmul(h, p.w2).add(p.b2).add(bt.legal.sub(1).mul(MASK));                     // [M,B,A]
    const logp = nn.logSoftmax(logits, 2);
    const picked = nn.oneHot(bt.chosen, A).mul(logp).sum(2);                                        // logp[m,b,chosen]
    return bt.weight.mul(bt.advantage).mul(picked).sum().neg();
}

/** One whole update: returns [params', state', loss (before the update), norms [M]]. */
function jaxUpdate(p, s, bt, lr) {
    const [loss, g] = valueAndGrad(jaxLoss)(tree.ref(p), bt);
    // Per-model squared gradient norms: each gradient has the model on axis 0.
    let norms = null;
    for (const k of PARAM_KEYS) {
        const sq = np.square(g[k].ref).sum([1, 2]);
        norms = norms === null ? sq : norms.add(sq);
    }
    // Adam, with the lab's bias corrections: step = lr/(1−β1^t), denominator √v/√(1−β2^t) + ε.
    const t = s.t.add(1);
    const c1 = np.exp(t.ref.mul(Math.log(BETA1))).neg().add(1);                                     // 1 − β1^t
    const c2 = np.sqrt(np.exp(t.ref.mul(Math.log(BETA2))).neg().add(1));                            // √(1 − β2^t)
    const stepSize = lr.div(c1);                                                                    // [M,1,1]
    const next = {}, m1 = {}, v = {};
    for (const k of PARAM_KEYS) {
        m1[k] = s.m1[k].mul(BETA1).add(g[k].ref.mul(1 - BETA1));
        v[k] = s.v[k].mul(BETA2).add(np.square(g[k]).mul(1 - BETA2));
        next[k] = p[k].sub(stepSize.ref.mul(m1[k].ref).div(np.sqrt(v[k].ref).div(c2.ref).add(EPSILON)));
    }
    stepSize.dispose();
    c2.dispose();
    return [next, { t, m1, v }, loss, norms];
}

/** Starts jax-js's `device`; returns facts about it, or throws why it is not available. */
async function jaxUse(device) {
    const facts = { version: `jax-js ${await jaxVersion()}` };
    if (device === "webgpu") {
        const env = await browserEnvironment();
        if (!env.webgpu) throw new Error(env.webgpu_error ?? "no WebGPU adapter");
        facts.adapter = env.webgpu;
    }
    const available = await jax.init(device);
    if (!available.includes(device)) throw new Error(`jax.init("${device}") did not start it (available: ${available.join(", ") || "none"})`);
    jax.defaultDevice(device);
    if (device === "wasm") {
        // jax-js generates its own wasm kernels, with f32x4 SIMD where an op allows (relaxed
        // madd when the browser validates it); threads only with SharedArrayBuffer, which a page
        // that is not cross-origin isolated does not have.
        facts.simd = true;
        facts.threads = typeof SharedArrayBuffer !== "undefined";
    }
    return facts;
}

let jaxVersionText;
async function jaxVersion() {
    if (!jaxVersionText) {
        try {
            jaxVersionText = (await (await fetch("node_modules/@jax-js/jax/package.json")).json()).version;
        } catch {
            jaxVersionText = "unknown";
        }
    }
    return jaxVersionText;
}

/** Builds the jax-js peer for one probe on `device`. */
function jaxPeer(probe, device) {
    const { rows: B, models: M, input: O, hidden: H, actions: A } = probe;
    const f32 = (values, shape) => np.array(Float32Array.from(values), { shape, device });
    let params = {
        w1: f32(probe.w1, [M, O, H]),
        b1: f32(probe.b1, [M, 1, H]),
        w2: f32(probe.w2, [M, H, A]),
        b2: f32(probe.b2, [M, 1, A]),
    };
    const zeros = () => Object.fromEntries(PARAM_KEYS.map((k) => [k, np.zeros(params[k].shape, { device })]));
    let state = { t: np.zeros([], { device }), m1: zeros(), v: zeros() };
    const batch = {
        x: f32(probe.x, [M, B, O]),
        chosen: np.array(Int32Array.from(probe.chosen), { shape: [M, B], dtype: np.int32, device }),
        legal: f32(probe.legal, [M, B, A]),
        advantage: f32(probe.advantage, [M, B]),
        weight: f32(probe.weight, [M, B]),
    };
    const lr = f32(probe.lr, [M, 1, 1]);
    const update = jit(jaxUpdate);

    return {
        async step(readLoss) {
            const [p, s, loss, norms] = update(params, state, tree.ref(batch), lr.ref);
            params = p;
            state = s;
            const out = { norms: await norms.data() }; // data() consumes norms
            if (readLoss) out.loss = (await loss.data())[0];
            else loss.dispose();
            return out;
        },
        /** Arrays this peer holds whose refCount is not 1 (a leak or a double free): must be 0. */
        extraTensors: () => tree.leaves([params, state, batch, lr]).filter((a) => a.refCount !== 1).length,
        dispose() {
            const held = tree.leaves([params, state, batch, lr]);
            tree.dispose([params, state, batch, lr]);
            update.dispose();
            return held.filter((a) => a.refCount !== 0).length; // arrays left alive: must be 0
        },
    };
}

// ---------------------------------------------------------------------------------------------
// The driver: check, warm up, time.
// ---------------------------------------------------------------------------------------------
async function measure(peer, probe, { updates, warmup }) {
    const ref = referenceOf(probe);
    const first = await peer.step(true);
    const second = await peer.step(true);
    for (let i = 0; i < warmup; i++) await peer.step(false);
    const times = [];
    for (let i = 0; i < updates; i++) {
        const t0 = performance.now();
        await peer.step(false);
        times.push(performance.now() - t0);
    }
    const norms = Array.from(first.norms);
    return {
        ms: median(times),
        // The clock of a page that is not cross-origin isolated ticks in 0.1 ms steps (with
        // jitter): the mean of many steps is the figure that survives that, and the one the
        // benchmark compares (the lab's worker reports its mean too).
        mean_ms: times.reduce((a, b) => a + b, 0) / times.length,
        ms_min: Math.min(...times),
        loss: first.loss,
        reference_loss: ref.loss,
        lab_loss: probe.loss ?? null,
        // The harness's check: against the lab's loss when the probe carries it.
        loss_ok: close(first.loss, probe.loss ?? ref.loss),
        reference_ok: close(first.loss, ref.loss),
        // The gradients and the Adam step: the norms at step 1, the loss after one update.
        norms,
        norms_ok: norms.length === probe.models && norms.every((n, m) => close(n, ref.norms[m], 1e-3)),
        loss_after_step: second.loss,
        update_ok: close(second.loss, ref.loss_after_step),
        leaked: peer.extraTensors(),
    };
}

/** The peers, each a list of backends with `use(backend)` → facts and `make(probe, backend)`. */
const PEERS = [
    { peer: "tfjs", backends: TFJS_BACKENDS, use: tfjsUse, make: (probe) => tfjsPeer(probe) },
    { peer: "jax-js", backends: JAX_BACKENDS, use: jaxUse, make: (probe, backend) => jaxPeer(probe, backend) },
];

async function runPeers(probes, { updates = 50, warmup = 5, only = null } = {}) {
    const results = [];
    const wanted = (peer, backend) => !only || only.includes(peer) || only.includes(`${peer}/${backend}`);
    for (const { peer, backends, use, make } of PEERS) {
        for (const backend of backends) {
            if (!wanted(peer, backend)) continue;
            const base = (probe) => ({ peer, backend, rows: probe.rows, models: probe.models, updates, warmup });
            let facts;
            try {
                facts = await use(backend);
            } catch (err) {
                // Not offered by this browser: one error result per probe, no timing.
                for (const probe of probes) results.push({ ...base(probe), error: errorText(err) });
                continue;
            }
            for (const probe of probes) {
                let instance = null;
                try {
                    instance = make(probe, backend);
                    const measured = await measure(instance, probe, { updates, warmup });
                    const left = instance.dispose();
                    instance = null;
                    results.push({ ...base(probe), ...facts, ...measured, leaked: measured.leaked + left });
                } catch (err) {
                    try {
                        instance?.dispose();
                    } catch {
                        // already broken; the error below is what matters
                    }
                    results.push({ ...base(probe), ...facts, error: errorText(err) });
                }
            }
        }
    }
    return results;
}

window.runPeers = runPeers;
window.browserEnvironment = browserEnvironment;
window.peersReady = true;
document.dispatchEvent(new Event("peers-ready"));
