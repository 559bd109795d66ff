#!/usr/bin/env python3
"""Runs a wasm32-wasip1 command module under wasmtime (PyPI `wasmtime`).

Used as CARGO_TARGET_WASM32_WASIP1_RUNNER by .ci/wasm.sh: `wasi-run.py file.wasm args...`.
Node.js 20's WASI aborted the node process (SIGABRT, no message) on test binaries that
allocate a few hundred MB; wasmtime runs them.
"""
import os
import sys

import wasmtime


def main() -> int:
    path, args = sys.argv[1], sys.argv[1:]
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, path)
    store = wasmtime.Store(engine)
    wasi = wasmtime.WasiConfig()
    wasi.argv = args
    wasi.env = list(os.environ.items())
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    wasi.preopen_dir(".", ".")
    store.set_wasi(wasi)
    instance = linker.instantiate(store, module)
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit_trap:
        return exit_trap.code
    except wasmtime.Trap as trap:
        print(f"wasm trap: {trap}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main())
