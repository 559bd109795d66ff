#!/usr/bin/env bash
# Cross-builds trueno for aarch64-unknown-linux-gnu and runs the whole test suite
# (unit, integration and doc tests) under qemu-user, so the NEON backend is tested.
#
# For a Debian 12 (bookworm) machine, as root, non-interactive and idempotent: it installs
# what is missing (Debian's rustc 1.96 with the arm64 std, the cross linker, qemu-user)
# and uses rustup's cargo, which must be on PATH. Extra arguments go to `cargo test`.
# See docs/cross.md.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
PKGS=(rustc-web libstd-rust-web-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "== installing: ${missing[*]}"
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -q || echo "apt-get update reported errors; installing anyway" >&2
    apt-get install -y -q --no-install-recommends "${PKGS[@]}"
fi
command -v cargo >/dev/null || { echo "cargo (rustup's) not on PATH" >&2; exit 1; }

# Debian's rustc has the aarch64 std; rustup's cargo drives it (Debian's own cargo from
# cargo-web is not needed). A target dir of its own keeps native builds untouched.
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/cross-aarch64}"
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
# No `-L /usr/aarch64-linux-gnu`: that would pair the cross ld.so (libc6-arm64-cross) with
# the multiarch libc.so.6 (libc6:arm64, a different build), and every thread spawn then
# loops forever in glibc's stack cache. Without -L, qemu takes both from /lib (multiarch).
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER=qemu-aarch64

"$RUSTC" --version
qemu-aarch64 --version | head -1
# The GPU scope (default feature) needs a Vulkan driver; under qemu there is none.
cargo test --release --no-default-features --target aarch64-unknown-linux-gnu "$@"
