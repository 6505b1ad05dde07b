# Shared by .ci/serve and .ci/test: versions, paths, and idempotent installs.
# Every ensure_* checks what is installed, at which version, and installs only what is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# Builds are kept outside the checkout so that a fresh clone (CI) reuses them: burn alone takes
# ~10 minutes to build for wasm32 on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/creditlab/target}"

TRUNK_VERSION="0.21.14"
WASM_PACK_VERSION="0.15.1"
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$REPO/Cargo.lock")"
BINARYEN_VERSION="132.0.0"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Every install and build is a named step: its name is printed when it starts, its duration when
# it ends, and `step_summary` lists them all (what a first run on a fresh machine spends where).
declare -a STEP_TIMES=()
step() {
    local name="$1"; shift
    local start=$SECONDS rc=0
    log "$name"
    "$@" || rc=$?
    local took=$((SECONDS - start))
    local line
    line="$(printf '%3dm%02ds  %s' $((took / 60)) $((took % 60)) "$name")"
    [ "$rc" -eq 0 ] || line="$line  (FAILED, exit $rc)"
    STEP_TIMES+=("$line")
    log "$name: $([ "$rc" -eq 0 ] && echo done || echo FAILED) in $((took / 60))m$((took % 60))s"
    return "$rc"
}
step_summary() {
    [ "${#STEP_TIMES[@]}" -gt 0 ] || return 0
    log "time per step"
    printf '  %s\n' "${STEP_TIMES[@]}" >&2
}

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        step "installing the wasm32-unknown-unknown target" rustup target add wasm32-unknown-unknown
    fi
}

ensure_wasm_bindgen() {
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
        # --locked fails against this registry; the version pin is what matters.
        step "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~2–6 min on 2 cores)" \
            cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
    fi
}

ensure_trunk() {
    if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
        step "installing trunk $TRUNK_VERSION (~13–15 min on 2 cores)" \
            cargo install --locked trunk --version "$TRUNK_VERSION" --force
    fi
}

# wasm-pack: the browser tests' CPU leg runs through `wasm-pack test`, the convention developers
# know; offline it uses the installed wasm-bindgen and Debian's chromedriver.
ensure_wasm_pack() {
    if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
        step "installing wasm-pack $WASM_PACK_VERSION (~5 min on 2 cores)" \
            cargo install --locked wasm-pack --version "$WASM_PACK_VERSION" --force
    fi
}

# wasm-opt from npm's binaryen (runs under node); Debian's binaryen 108 breaks the module.
ensure_wasm_opt() {
    local tools="$REPO/.ci/tools"
    if [ "$(node -p "require('$tools/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$BINARYEN_VERSION" ]; then
        step "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm" \
            bash -c "cd '$tools' && npm install --no-audit --no-fund --no-package-lock"
    fi
    export PATH="$tools/node_modules/.bin:$PATH"
}

ensure_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        step "installing Debian chromium and chromium-driver" bash -c \
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver"
    fi
    export CHROMEDRIVER=/usr/bin/chromedriver
}

ensure_e2e_packages() {
    local e2e="$REPO/tests/e2e"
    local want
    want="$(node -p "require('$e2e/package.json').devDependencies['playwright-core']")"
    if [ "$(node -p "require('$e2e/node_modules/playwright-core/package.json').version" 2>/dev/null)" != "$want" ]; then
        step "installing playwright-core $want from npm" \
            bash -c "cd '$e2e' && npm install --no-audit --no-fund --no-package-lock"
    fi
}

# The benchmark's in-browser peers (TensorFlow.js, jax-js), at the versions tests/peers/package-lock.json
# pins; only .ci/bench needs them.
ensure_peer_packages() {
    local peers="$REPO/tests/peers"
    if ! (cd "$peers" && node -e "
        const lock = require('./package-lock.json').packages;
        for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@jax-js/jax'])
            if (require('./node_modules/' + name + '/package.json').version !== lock['node_modules/' + name].version) process.exit(1);
    " 2>/dev/null); then
        step "installing the benchmark's in-browser peers (TensorFlow.js, jax-js) from npm" \
            bash -c "cd '$peers' && npm ci --no-audit --no-fund"
    fi
}

# Trunk runs cargo offline: fetch the crates first (a no-op when they are already here).
fetch_crates() {
    (cd "$REPO" && cargo fetch --locked >/dev/null 2>&1) || step "fetching the crates" bash -c "cd '$REPO' && cargo fetch --locked"
}

# A digest of everything the page is built from (sources, lockfile, build settings, tool
# versions): dist/ is rebuilt only when it changed.
page_inputs() {
    (
        cd "$REPO"
        find app core public Cargo.toml Cargo.lock Trunk.toml .cargo -type f \
            -not -path '*/node_modules/*' -not -path 'core/tests/*' -print0 | sort -z | xargs -0 sha256sum
        echo "trunk $TRUNK_VERSION wasm-bindgen $WASM_BINDGEN_VERSION binaryen $BINARYEN_VERSION $(rustc --version)"
        # What the page's "About" shows: the commit and the source link it was built with.
        echo "build $(git -C "$REPO" rev-parse HEAD 2>/dev/null) source ${CREDITLAB_SOURCE_URL:-}"
    ) | sha256sum | cut -d' ' -f1
}

build_page() {
    ensure_wasm_opt # trunk runs offline: without wasm-opt 132 on PATH it fails with no detail
    local stamp="$REPO/dist/.inputs" inputs
    inputs="$(page_inputs)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$inputs" ]; then
        log "the page in dist/ is up to date with the sources: not rebuilt"
        return 0
    fi
    # `|| return`: inside a test layer `set -e` is off, and a failed build must not be stamped.
    step "building the page (release, wasm-opt) into dist/ (~18 min on 2 cores the first time, ~4 min after a change)" \
        bash -c "cd '$REPO' && rm -f '$stamp' && trunk build --release" || return $?
    echo "$inputs" > "$stamp"
}
