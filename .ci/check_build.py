"""Checks that the build settings that matter for speed and size are on, in the sources and in
the built page (dist/): burn's `simd` feature, `+simd128` for wasm (and SIMD instructions in
the CPU worker), no relaxed-SIMD instruction in any module (Safari refuses them), the page's
release profile with LTO, wasm-opt on every wasm module. Prints one
markdown line per setting (PASS/FAIL) and exits 1 if any is off. Run from the repository root
after the page is built (the test command's end-to-end layer and `.ci/bench` run it)."""
import glob
import re
import subprocess
import sys
import tomllib

lines, failed = [], False


def check(name, ok, detail):
    global failed
    failed |= not ok
    lines.append(f"- {name}: {detail} — **{'PASS' if ok else 'FAIL'}**")


cargo = tomllib.load(open("Cargo.toml", "rb"))
burn = cargo["workspace"]["dependencies"]["burn"]
tree = subprocess.run(
    ["cargo", "tree", "-q", "--offline", "-p", "creditlab", "-e", "features", "--target", "wasm32-unknown-unknown", "-i", "burn-flex"],
    capture_output=True, text=True).stdout
flex_simd = 'burn-flex feature "simd"' in tree
check("burn's `simd` feature", "simd" in burn.get("features", []) and flex_simd,
      f"burn {burn['version']} with features {burn['features']}; burn-flex built with `simd`: {flex_simd}")

config = tomllib.load(open(".cargo/config.toml", "rb"))
flags = " ".join(config.get("target", {}).get("wasm32-unknown-unknown", {}).get("rustflags", []))
wasm_opt = (glob.glob(".ci/tools/node_modules/.bin/wasm-opt") or ["wasm-opt"])[0]
worker = "dist/creditlab-worker_bg.wasm"
try:
    text = subprocess.run([wasm_opt, worker, "--all-features", "--print"], capture_output=True, text=True, check=True).stdout
    simd_ops = len(re.findall(r"\b(?:f32x4|i32x4|v128)\.", text))
except (OSError, subprocess.CalledProcessError) as e:
    simd_ops = 0
    print(f"could not read {worker}: {e}", file=sys.stderr)
check("`+simd128` for wasm", "+simd128" in flags and simd_ops > 1000,
      f"rustflags `{flags}`; {simd_ops} SIMD instructions in the CPU worker")

# Safari refuses a module with relaxed-SIMD instructions (f32x4.relaxed_madd …): none may ship.
relaxed = {}
for module in sorted(glob.glob("dist/*.wasm")):
    try:
        printed = subprocess.run([wasm_opt, module, "--all-features", "--print"], capture_output=True, text=True, check=True).stdout
        relaxed[module] = len(re.findall(r"\b[a-z0-9]+x[0-9]+\.relaxed_", printed))
    except (OSError, subprocess.CalledProcessError) as e:
        relaxed[module] = None
        print(f"could not read {module}: {e}", file=sys.stderr)
check("no relaxed-SIMD instructions", bool(relaxed) and all(n == 0 for n in relaxed.values()),
      ", ".join(f"{m.removeprefix('dist/')}: {n if n is not None else 'unreadable'}" for m, n in relaxed.items()) or "no modules in dist/")

profile = cargo["profile"]["wasm-release"]
check("the page's release profile", profile.get("lto") is True and profile.get("codegen-units") == 1,
      f"`wasm-release`: lto = {profile.get('lto')}, codegen-units = {profile.get('codegen-units')}, opt-level = {profile.get('opt-level')!r}, panic = {profile.get('panic')!r}")

# A profile per module: the page small (opt-level z), the CPU training worker fast (wasm-worker,
# opt-level 3, wasm-opt -O3), every module from a profile with LTO and wasm-opt.
html = open("app/index.html").read()
links = re.findall(r'<link data-trunk rel="rust"[^>]*>', html)
modules = {}
for l in links:
    name = re.search(r'data-bin="([^"]*)"', l)
    prof = re.search(r'data-cargo-profile-release="([^"]*)"', l)
    opt = re.search(r'data-wasm-opt="([^"]*)"', l)
    modules[name.group(1) if name else "?"] = (prof.group(1) if prof else "release", opt.group(1) if opt else "none")
lto = {name: cargo["profile"].get(prof, {}).get("lto", cargo["profile"].get("wasm-release", {}).get("lto"))
       for name, (prof, _) in modules.items()}
check("wasm-opt and LTO on every module", bool(modules) and all(o not in ("none", "0") for _, o in modules.values())
      and all(v is True for v in lto.values()),
      "; ".join(f"`{n}`: profile `{p}`, wasm-opt -O{o}" for n, (p, o) in modules.items()))
worker = cargo["profile"].get("wasm-worker", {})
check("a profile per module", modules.get("creditlab-app", ("", ""))[1] == "z"
      and modules.get("creditlab-worker", ("", ""))[0] == "wasm-worker" and worker.get("opt-level") == 3,
      f"the page at opt-level {profile.get('opt-level')!r} (size), the CPU worker from `wasm-worker` at opt-level "
      f"{worker.get('opt-level')!r} (speed)")

print("\n".join(lines))
sys.exit(1 if failed else 0)
