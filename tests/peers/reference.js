// The update step in plain JavaScript, in float64: the yardstick every peer is checked against
// (so the check works without the lab), and the synthetic probes run.mjs uses when it is given
// none. Shared by the page (peers.js imports it) and by node (run.mjs imports it); no dependencies.
//
// The update, per model m (M models stacked on the leading axis), batch of B rows:
//   h      = tanh(x W1 + b1)                          x: [B,O]  W1: [O,H]  b1: [1,H]
//   logits = h W2 + b2 + (legal − 1)·1e9               W2: [H,A]  b2: [1,A]  legal: [B,A] of 0/1
//   logp   = log_softmax(logits)                       over the A actions
//   loss   = −Σ_m Σ_b weight[m,b] · advantage[m,b] · logp[m,b,chosen[m,b]]
// then per model the squared gradient norm (Σ g² over the 4 parameter gradients) and one Adam
// step (β1 0.9, β2 0.999, ε 1e-8, learning rate lr[m]):
//   m1 = β1 m1 + (1−β1) g;  v = β2 v + (1−β2) g²;  p ← p − lr/(1−β1^t) · m1 / (√v/√(1−β2^t) + ε)

export const BETA1 = 0.9;
export const BETA2 = 0.999;
export const EPSILON = 1e-8;
export const MASK = 1e9;

/** The parameters of a probe as float64 arrays (copies: the reference steps them in place). */
export function probeParams(probe) {
    return {
        w1: Float64Array.from(probe.w1),
        b1: Float64Array.from(probe.b1),
        w2: Float64Array.from(probe.w2),
        b2: Float64Array.from(probe.b2),
    };
}

/** Loss, per-model squared gradient norms [M] and the gradients at `params`, in float64. */
export function lossAndGrads(probe, params) {
    const { rows: B, models: M, input: O, hidden: H, actions: A } = probe;
    const { w1, b1, w2, b2 } = params;
    const g = { w1: new Float64Array(w1.length), b1: new Float64Array(b1.length), w2: new Float64Array(w2.length), b2: new Float64Array(b2.length) };
    const h = new Float64Array(H);
    const logits = new Float64Array(A);
    const dlogits = new Float64Array(A);
    let loss = 0;
    for (let m = 0; m < M; m++) {
        for (let b = 0; b < B; b++) {
            const row = m * B + b;
            // Forward.
            for (let j = 0; j < H; j++) {
                let s = b1[m * H + j];
                for (let o = 0; o < O; o++) s += probe.x[row * O + o] * w1[(m * O + o) * H + j];
                h[j] = Math.tanh(s);
            }
            let max = -Infinity;
            for (let a = 0; a < A; a++) {
                let s = b2[m * A + a] + (probe.legal[row * A + a] - 1) * MASK;
                for (let j = 0; j < H; j++) s += h[j] * w2[(m * H + j) * A + a];
                logits[a] = s;
                if (s > max) max = s;
            }
            let sumExp = 0;
            for (let a = 0; a < A; a++) sumExp += Math.exp(logits[a] - max);
            const logZ = max + Math.log(sumExp);
            const coef = probe.weight[row] * probe.advantage[row];
            const chosen = probe.chosen[row];
            loss -= coef * (logits[chosen] - logZ);
            // Backward: d loss / d logits[a] = −coef · (onehot[a] − softmax[a]).
            for (let a = 0; a < A; a++) {
                dlogits[a] = -coef * ((a === chosen ? 1 : 0) - Math.exp(logits[a] - logZ));
                g.b2[m * A + a] += dlogits[a];
            }
            for (let j = 0; j < H; j++) {
                let dh = 0;
                for (let a = 0; a < A; a++) {
                    g.w2[(m * H + j) * A + a] += h[j] * dlogits[a];
                    dh += w2[(m * H + j) * A + a] * dlogits[a];
                }
                const dpre = dh * (1 - h[j] * h[j]);
                g.b1[m * H + j] += dpre;
                for (let o = 0; o < O; o++) g.w1[(m * O + o) * H + j] += probe.x[row * O + o] * dpre;
            }
        }
    }
    // Per-model squared gradient norms: every parameter array has the model on its leading axis.
    const norms = new Float64Array(M);
    for (const key of ["w1", "b1", "w2", "b2"]) {
        const per = g[key].length / M;
        for (let i = 0; i < g[key].length; i++) norms[Math.floor(i / per)] += g[key][i] * g[key][i];
    }
    return { loss, norms: Array.from(norms), grads: g };
}

/** One Adam step (t counts from 1) on `params`, in place; `state` holds m1, v per parameter. */
export function adamStep(probe, params, grads, state, t) {
    const M = probe.models;
    const c1 = 1 - BETA1 ** t;
    const c2 = Math.sqrt(1 - BETA2 ** t);
    for (const key of ["w1", "b1", "w2", "b2"]) {
        const p = params[key];
        const g = grads[key];
        state[key] ??= { m1: new Float64Array(p.length), v: new Float64Array(p.length) };
        const { m1, v } = state[key];
        const per = p.length / M;
        for (let i = 0; i < p.length; i++) {
            m1[i] = BETA1 * m1[i] + (1 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1 - BETA2) * g[i] * g[i];
            p[i] -= (probe.lr[Math.floor(i / per)] / c1) * m1[i] / (Math.sqrt(v[i]) / c2 + EPSILON);
        }
    }
}

/** What a peer is checked against: the float64 loss and norms at the probe's parameters (the
 *  first step), and the loss after one Adam step (what the second step computes). */
export function referenceOf(probe) {
    const params = probeParams(probe);
    const first = lossAndGrads(probe, params);
    adamStep(probe, params, first.grads, {}, 1);
    const second = lossAndGrads(probe, params);
    return { loss: first.loss, norms: first.norms, loss_after_step: second.loss };
}

/** |a − b| ≤ rtol · max(1, |b|): the harness's loss check (rtol 1e-4). */
export const close = (a, b, rtol = 1e-4) => Number.isFinite(a) && Math.abs(a - b) <= rtol * Math.max(1, Math.abs(b));

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed) {
    let s = seed >>> 0;
    return () => {
        s = (s + 0x6d2b79f5) >>> 0;
        let t = s;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A synthetic probe shaped like the lab's case (M 3, O 1, H 32, A 4): Glorot-uniform weights,
 *  small random biases, x in [−1, 1), about a quarter of the actions illegal but never the chosen
 *  one, advantages in [−2, 2), weight 1/B, lr 0.003, and `loss` = the float64 reference loss. */
export function syntheticProbe(rows, { models = 3, input = 1, hidden = 32, actions = 4, seed = rows, lr = 0.003 } = {}) {
    const rand = prng(0x5eed ^ seed);
    const uniform = (n, scale) => Array.from({ length: n }, () => (2 * rand() - 1) * scale);
    const M = models, B = rows, O = input, H = hidden, A = actions;
    const probe = {
        rows: B, models: M, input: O, hidden: H, actions: A,
        w1: uniform(M * O * H, Math.sqrt(6 / (O + H))),
        b1: uniform(M * H, 0.1),
        w2: uniform(M * H * A, Math.sqrt(6 / (H + A))),
        b2: uniform(M * A, 0.1),
        x: uniform(M * B * O, 1),
        chosen: [], legal: [],
        advantage: uniform(M * B, 2),
        weight: new Array(M * B).fill(1 / B),
        lr: new Array(M).fill(lr),
    };
    for (let r = 0; r < M * B; r++) {
        const legal = Array.from({ length: A }, () => (rand() < 0.75 ? 1 : 0));
        const chosen = Math.floor(rand() * A);
        legal[chosen] = 1;
        probe.chosen.push(chosen);
        probe.legal.push(...legal);
    }
    probe.loss = referenceOf(probe).loss;
    return probe;
}
