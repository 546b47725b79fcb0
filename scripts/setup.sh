# shellcheck shell=bash
# Idempotent set-up shared by scripts/test and scripts/run. Each step checks first and
# installs only what is missing, so a warm machine skips every slow step.
#   - the wasm32-unknown-unknown Rust target
#   - Debian's chromium + chromium-driver (headless browser tests; never a downloaded browser)
#   - wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock
#   - wasm-pack (testers run `wasm-pack test --headless --chrome`; with the two above on
#     PATH it downloads nothing)
#   - npm packages of package-lock.json (the `jose` interop tests) and a Python venv with
#     the interop libraries of tests/interop/requirements.txt

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
export PATH="$TOOLS/py/bin:$HOME/.cargo/bin:$PATH"

log() { printf '\n==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    log "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  export CHROMEDRIVER="${CHROMEDRIVER:-$(command -v chromedriver)}"
}

lock_version() { # the version of package $1 in Cargo.lock
  awk -v name="$1" '$0 == "name = \"" name "\"" { getline; gsub(/version = |"/, ""); print; exit }' "$ROOT/Cargo.lock"
}

ensure_wasm_bindgen() {
  local want have
  want="$(lock_version wasm-bindgen)"
  have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')"
  if [ "$have" != "$want" ]; then
    log "installing wasm-bindgen-cli $want (found: ${have:-none})"
    # Not --locked: a crate pinned by its lock file is missing from the registry (TOOLCHAIN.md).
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_wasm_pack() {
  if ! command -v wasm-pack >/dev/null; then
    log "installing wasm-pack"
    cargo install wasm-pack --locked
  fi
}

ensure_node_deps() {
  if [ -f "$ROOT/package-lock.json" ]; then
    if ! (cd "$ROOT" && npm ls --depth=0 >/dev/null 2>&1); then
      log "installing npm packages (package-lock.json)"
      (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error)
    fi
  fi
}

ensure_python_deps() {
  local req="$ROOT/tests/interop/requirements.txt"
  [ -f "$req" ] || return 0
  if [ ! -x "$TOOLS/py/bin/python3" ]; then
    log "creating the interop Python venv in .tools/py"
    python3 -m venv "$TOOLS/py"
  fi
  "$TOOLS/py/bin/python3" -m pip install --quiet --disable-pip-version-check --no-input -r "$req"
}
