#!/usr/bin/env bash
# One command for the comparison report: installs NumPy (and SciPy for erf) if missing,
# builds and runs examples/report.rs, which times ndarray, every trueno backend and NumPy
# side by side and writes reports/report-<host>.md and reports/speedup-<host>.svg.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c "import numpy, scipy" 2>/dev/null || python3 -m pip install -q numpy scipy threadpoolctl
# One thread for NumPy/BLAS; OPENBLAS_CORETYPE slows a current NumPy (see env notes).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
unset OPENBLAS_CORETYPE OPENBLAS_L2_SIZE
cargo run --release --features parallel --example report -- "$@"
