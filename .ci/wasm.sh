#!/usr/bin/env bash
# Builds trueno for wasm32-wasip1 with SIMD128 and runs the whole test suite (unit,
# integration and doc tests) under Node.js's WASI, so the Wasm128 backend is tested; then
# the cross-backend test once more in a build without SIMD128 (the scalar fallback).
#
# For a Debian 12 (bookworm) machine, as root, non-interactive and idempotent. There is no
# wasm32 std package in Debian 12, so std is built from Debian's Rust source with
# `-Zbuild-std` (RUSTC_BOOTSTRAP=1) by Debian's rustc 1.96 and rustup's cargo, against
# Debian's wasi-libc, linked by lld-22. Extra arguments go to `cargo test`.
# See docs/cross.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

export DEBIAN_FRONTEND=noninteractive
PKGS=(rustc-web rust-web-src rust-web-llvm lld-22 llvm-22 wasi-libc)


missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    apt-get update -q || echo "apt-get update reported errors; installing anyway" >&2
    apt-get install -y -q --no-install-recommends "${PKGS[@]}"
fi
command -v cargo >/dev/null || { echo "cargo (rustup's) not on PATH" >&2; exit 1; }

export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
TARGET_BASE="${CARGO_TARGET_DIR:-$ROOT/target/cross-wasm32}"
mkdir -p "$TARGET_BASE"

# Debian 12's wasi-libc (a 2022 snapshot), fixed up in a directory of our own:
# - it predates the single-threaded pthread_join/pthread_detach stubs that Rust 1.96's
#   std links against, nor pthread_create/pthread_attr_* (std::thread, linked by the
#   examples but never called in tests: wasm32-wasip1 has no threads); they
#   are provided here, returning ENOSYS (52 in WASI), as one tiny object;
# - its fmaf (old musl) steps the rounding mode with fesetround, which WebAssembly does
#   not have, so f32::mul_add is wrong on halfway cases (fmaf(1 + 2^-23, 3, -2^-126)
#   gave 3 + 2^-21 instead of 3 + 2^-22). fmaf.o is dropped from libc.a, so that
#   compiler-builtins' correctly rounded fmaf is linked instead.
LIBC="$TARGET_BASE/wasi-libc"
STUBS="$LIBC/wasi-pthread-stubs-v2.o"
if [ ! -s "$STUBS" ]; then
    rm -rf "$LIBC" && mkdir -p "$LIBC"
    cp /usr/lib/wasm32-wasi/crt1*.o /usr/lib/wasm32-wasi/libc.a "$LIBC/"
    llvm-ar-22 d "$LIBC/libc.a" fmaf.o
    cat >"$LIBC/wasi-pthread-stubs.ll" <<'LL'
target triple = "wasm32-unknown-wasi"
define i32 @pthread_join(ptr %t, ptr %r) { ret i32 52 }
define i32 @pthread_detach(ptr %t) { ret i32 52 }
define i32 @pthread_create(ptr %t, ptr %a, ptr %f, ptr %arg) { ret i32 52 }
define i32 @pthread_attr_init(ptr %a) { ret i32 0 }
define i32 @pthread_attr_destroy(ptr %a) { ret i32 0 }
define i32 @pthread_attr_setstacksize(ptr %a, i32 %s) { ret i32 0 }
LL
    llc-22 -filetype=obj -o "$STUBS.tmp" "$LIBC/wasi-pthread-stubs.ll"
    mv "$STUBS.tmp" "$STUBS"
fi

# panic=abort loses captured output: print it, so that a failing test shows its message.
export RUST_TEST_NOCAPTURE="${RUST_TEST_NOCAPTURE:-1}"
# The runner is wasmtime (PyPI), through .ci/wasi-run.py. Node.js 20's WASI (.ci/wasi-run.cjs,
# kept for reference) aborted the node process itself (SIGABRT, nothing printed) on test
# binaries that allocate a few hundred MB (tests/backends.rs large_lengths).
python3 -c "import wasmtime" 2>/dev/null || python3 -m pip install -q wasmtime
export CARGO_TARGET_WASM32_WASIP1_RUNNER="python3 $ROOT/.ci/wasi-run.py"

run() { # run FEATURES TARGET_DIR cargo-test-args...
    local flags="-L native=$LIBC -C link-arg=$STUBS $1"
    CARGO_TARGET_DIR="$2" CARGO_TARGET_WASM32_WASIP1_RUSTFLAGS="$flags" RUSTDOCFLAGS="$flags" \
        cargo test --release --no-default-features --target wasm32-wasip1 -Zbuild-std=std,panic_abort "${@:3}"
}

"$RUSTC" --version
python3 -c "import wasmtime; print(\"wasmtime\", wasmtime.__version__ if hasattr(wasmtime, \"__version__\") else \"\")"
echo "== wasm32-wasip1 +simd128 (Wasm128 backend): full suite"
run "-C target-feature=+simd128" "$TARGET_BASE/simd128" "$@"
echo "== wasm32-wasip1 without simd128 (scalar fallback): unit and cross-backend tests"
run "" "$TARGET_BASE/scalar" --lib --test backends_cross "$@"
