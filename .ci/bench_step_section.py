"""Writes BENCHMARKS.md's two update-step sections (run by .ci/bench):

"Update step" — the lab natively in release against numpy and PyTorch (.ci/bench_peers.py), and
the lab in wasm: in the test profile (the browser test crate) and as shipped (the worker trunk
builds for the page, timed in headless Chromium by tests/peers/bench.mjs), each against native.

"Update step in the browser" — the shipped worker against TensorFlow.js and jax-js in the same
headless Chromium (tests/peers/bench.mjs), every peer starting from the lab's parameters and rows
and checked for the lab's loss on its first step.

Arguments: native-release peers (JSON lines from bench_peers.py), native test profile, wasm test
profile (JSON lines of `creditlab bench --update-step` / the browser test), the browser bench's
JSON lines, date, cores, CPU name. Prints markdown."""
import json
import sys


def lines(arg):
    return [json.loads(l) for l in arg.splitlines() if l.strip().startswith("{")]


peers, dev, wasm, browser = (lines(a) for a in sys.argv[1:5])
day, cores, cpu = sys.argv[5:8]
dev = {c["rows"]: c for c in dev}
wasm = {c["rows"]: c for c in wasm}
shipped = {c["rows"]: c for c in browser if c.get("kind") == "lab"}
in_browser = [c for c in browser if c.get("kind") == "peer"]

fmt = lambda v: "—" if v is None else f"{v:.3f}"
x = lambda v: "—" if v is None else f"{v:.2f}×"
div = lambda a, b: a / b if a is not None and b else None


def line(name, value, limit, what="×"):
    if value is None:
        return f"- {name}: not measured — **FAIL**"
    return f"- {name}: {value:.2f}{what} (budget ≤ {limit}{what}) — **{'PASS' if value <= limit else 'FAIL'}**"


shape = peers[0] if peers else {}
out = [
    "## Update step (`.ci/bench`)",
    "",
    f"Measured {day} on {cores} cores ({cpu}). One policy-gradient + Adam update of the lab's default policy "
    f"({shape.get('models')} agents, one MLP each: {shape.get('input')} inputs, {shape.get('hidden')} hidden units, "
    f"{shape.get('actions')} actions), median of the timed updates after warm-up. "
    "Lab: `Trainer::last_update_ms` (rows to the device, loss, backward, per-agent gradient norms, Adam, "
    "the one readback) on the CPU (flex) backend; `creditlab bench --update-step` natively in release "
    "(`[profile.release]`). numpy: the same update with the backward pass by hand; PyTorch: autograd + "
    f"`torch.optim.Adam` ({shape.get('torch_threads')} threads); both in `.ci/bench_peers.py`, in the same run. "
    "wasm, test profile: the browser test crate's build (opt-level 2, no LTO) against native in the same profile; "
    "wasm, as shipped: the training worker the page ships (`dist/creditlab-worker_bg.wasm`, profile `wasm-worker`), "
    "timed in headless Chromium by `tests/peers/bench.mjs` (the mean: the browser's clock ticks in 0.1 ms), against native release.",
    "",
    "| rows per agent | lab native (ms) | numpy (ms) | PyTorch (ms) | lab ÷ PyTorch | lab ÷ numpy "
    "| native, test profile (ms) | wasm, test profile (ms) | ÷ native, test profile | wasm as shipped (ms) | ÷ native release |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
]
ratio = {}
for c in peers:
    r = c["rows"]
    torch, numpy = c.get("torch_ms"), c.get("numpy_ms")
    d, w = dev.get(r, {}).get("lab_ms"), wasm.get(r, {}).get("lab_ms")
    s = shipped.get(r, {}).get("mean_ms")
    ratio[r] = {"torch": div(c["lab_ms"], torch), "test": div(w, d), "shipped": div(s, c["lab_ms"])}
    out.append(f"| {r} | {fmt(c['lab_ms'])} | {fmt(numpy)} | {fmt(torch)} | {x(ratio[r]['torch'])} | "
               f"{x(div(c['lab_ms'], numpy))} | {fmt(d)} | {fmt(w)} | {x(ratio[r]['test'])} | {fmt(s)} | {x(ratio[r]['shipped'])} |")
out += ["", "Budgets:", "",
        line("update step vs PyTorch at 256 rows", ratio.get(256, {}).get("torch"), 1.0),
        line("update step vs PyTorch at 8 rows", ratio.get(8, {}).get("torch"), 1.5),
        line("wasm as shipped vs native release, update step at 256 rows", ratio.get(256, {}).get("shipped"), 1.4),
        f"- (not a budget) wasm vs native in the test profile at 256 rows: {x(ratio.get(256, {}).get('test'))}"]

# The in-browser peers.
names = []
for c in in_browser:
    key = (c["peer"], c["backend"])
    if key not in names:
        names.append(key)
label = {("tfjs", "wasm"): "TF.js wasm (SIMD)", ("tfjs", "cpu"): "TF.js cpu", ("tfjs", "webgl"): "TF.js webgl",
         ("jax-js", "wasm"): "jax-js wasm", ("jax-js", "webgpu"): "jax-js WebGPU"}
by = {(c["peer"], c["backend"], c["rows"]): c for c in in_browser}
software = any("swiftshader" in str(c.get("adapter", "")).lower() for c in in_browser)
versions = sorted({c["version"] for c in in_browser if c.get("version")})
out += [
    "",
    "## Update step in the browser (`.ci/bench`, `tests/peers/bench.mjs`)",
    "",
    f"Measured {day} on {cores} cores ({cpu}), one headless Chromium. The same update — {shape.get('models')} agents, "
    f"one MLP each ({shape.get('input')} → {shape.get('hidden')} tanh → {shape.get('actions')}), masked softmax, "
    "REINFORCE loss with given advantages, per-agent squared gradient norms, Adam, the norms read back — in the lab's "
    "shipped worker and written with each peer (`tests/peers/peers.js`; versions pinned in `tests/peers/package.json`: "
    f"{', '.join(versions)}). Every peer starts from the lab's parameters and rows (`Trainer::update_probe`) and must "
    "compute the lab's loss on its first step (|Δ| ≤ 1e-4·max(1, |loss|)); it is checked again after one Adam step "
    "against a float64 reference. ms per update: the mean of the timed updates after warm-up, then the median (the "
    "page is not cross-origin isolated, as the lab's is not: single-threaded peers, and a clock that ticks in 0.1 ms, "
    "which the median keeps and the mean of many updates averages out; the mean also counts each library's garbage "
    "collection). The ratios use the means."
    + (" WebGL and WebGPU run on SwiftShader, the CPU standing in for a GPU: they are listed, not counted as the "
       "fastest peer." if software else ""),
    "",
    "| rows per agent | lab, as shipped | " + " | ".join(label.get(k, "/".join(k)) for k in names)
    + " | fastest peer | lab ÷ fastest |",
    "|---" * (len(names) + 4) + "|",
]
best_ratio = {}
cell = lambda c: f"{c['mean_ms']:.2f} / {c.get('median_ms', c.get('ms')):.1f}"
for r in sorted(shipped):
    lab = shipped[r]["mean_ms"]
    cells, best = [], None
    for k in names:
        c = by.get((*k, r))
        if c is None or c.get("error"):
            cells.append("n/a" if c is None else f"— ({c['error'][:60]})")
            continue
        ok = c.get("loss_ok") and c.get("update_ok", True)
        cells.append(cell(c) + ("" if ok else " (wrong loss)"))
        gpu_on_cpu = k[1] in ("webgl", "webgpu") and "swiftshader" in str(c.get("adapter", "")).lower()
        if ok and not gpu_on_cpu and (best is None or c["mean_ms"] < best[1]):
            best = (label.get(k, "/".join(k)), c["mean_ms"])
    best_ratio[r] = div(lab, best[1] if best else None)
    out.append(f"| {r} | {cell(shipped[r])} | " + " | ".join(cells)
               + f" | {best[0] if best else '—'} | {x(best_ratio[r])} |")
out += ["", "Budgets:", "",
        line("the lab's update step vs the fastest in-browser peer at 8 rows", best_ratio.get(8), 0.5),
        line("the lab's update step vs the fastest in-browser peer at 256 rows", best_ratio.get(256), 0.5)]
print("\n".join(out))
