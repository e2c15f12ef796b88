#!/usr/bin/env bash
# Issue 25's benchmark: builds the Python package in release mode into a venv holding
# Anonymeter 1.1.0 (and what it admits: numpy < 1.27, pyarrow < 22), then runs
# bench/python_issue25.py. Needs network access to PyPI on the first run.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${BENCH_VENV:-bench/.venv-issue25}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check maturin==1.16.0 anonymeter==1.1.0 \
    numpy==1.26.4 pyarrow==21.0.0 pandas==2.2.3 polars==1.33.1 scikit-learn==1.5.2 numba==0.60.0
fi
VIRTUAL_ENV="$venv" "$venv/bin/maturin" develop --release --quiet -m crates/python/Cargo.toml
echo "datavisa $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$venv/bin/python" bench/python_issue25.py
