# Shared by .ci/serve and .ci/test: versions, paths, and idempotent installs.
# Every ensure_* checks what is installed, at which version, and installs only what is missing.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
# Builds are kept outside the checkout so that a fresh clone (CI) reuses them: burn alone takes
# ~10 minutes to build for wasm32 on two cores.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/creditlab/target}"

TRUNK_VERSION="0.21.14"
# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
WASM_BINDGEN_VERSION="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' "$REPO/Cargo.lock")"
BINARYEN_VERSION="132.0.0"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_wasm_target() {
    if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        log "installing the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown
    fi
}

ensure_wasm_bindgen() {
    if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
        log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (~6 min)"
        # --locked fails against this registry; the version pin is what matters.
        cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
    fi
}

ensure_trunk() {
    if [ "$(trunk --version 2>/dev/null | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
        log "installing trunk $TRUNK_VERSION (~15 min)"
        cargo install --locked trunk --version "$TRUNK_VERSION" --force
    fi
}

# wasm-opt from npm's binaryen (runs under node); Debian's binaryen 108 breaks the module.
ensure_wasm_opt() {
    local tools="$REPO/.ci/tools"
    if [ "$(node -p "require('$tools/node_modules/binaryen/package.json').version" 2>/dev/null)" != "$BINARYEN_VERSION" ]; then
        log "installing binaryen $BINARYEN_VERSION (wasm-opt) from npm"
        (cd "$tools" && npm install --no-audit --no-fund --no-package-lock)
    fi
    export PATH="$tools/node_modules/.bin:$PATH"
}

ensure_chromium() {
    if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
        log "installing Debian chromium and chromium-driver"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
    fi
    export CHROMEDRIVER=/usr/bin/chromedriver
}

ensure_e2e_packages() {
    local e2e="$REPO/tests/e2e"
    local want
    want="$(node -p "require('$e2e/package.json').devDependencies['playwright-core']")"
    if [ "$(node -p "require('$e2e/node_modules/playwright-core/package.json').version" 2>/dev/null)" != "$want" ]; then
        log "installing playwright-core $want from npm"
        (cd "$e2e" && npm install --no-audit --no-fund --no-package-lock)
    fi
}

# Trunk runs cargo offline: fetch the crates first (a no-op when they are already here).
fetch_crates() {
    (cd "$REPO" && cargo fetch --locked >/dev/null 2>&1) || (cd "$REPO" && cargo fetch --locked)
}

build_page() {
    ensure_wasm_opt # trunk runs offline: without wasm-opt 132 on PATH it fails with no detail
    log "building the page (release, wasm-opt -Oz) into dist/"
    (cd "$REPO" && trunk build --release)
}
