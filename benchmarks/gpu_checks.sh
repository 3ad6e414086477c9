#!/usr/bin/env bash
# Issue 17's GPU checks and figures in one run, for a lent device machine (CI has no GPU):
# the CUDA-path tests, then FISC, exact SII and dropout-set timings with their forward-only
# limits and a profile split between device kernels and host work.
#   bash benchmarks/gpu_checks.sh [OUTPUT_DIR]     (default benchmarks/results/gpu)
set -u
out=${1:-benchmarks/results/gpu}
mkdir -p "$out"
export PYTHONPATH=.
run() {  # run NAME COMMAND...: the command's output goes to $out/NAME.txt, its tail to stdout
    local name=$1
    shift
    timeout 240 "$@" >"$out/$name.txt" 2>&1
    echo "== $name (exit $?)"
    tail -n 4 "$out/$name.txt" | cut -c1-220
}
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/gpu.txt"
run test_cuda_paths python3 -m pytest -q -p no:cacheprovider tests/test_cuda_paths.py
run profile_fisc27_cuda python3 benchmarks/profile_fisc.py --features 27 --device cuda --top 25
run fisc27_cuda python3 benchmarks/fisc_compas.py --features 27 --skip-peer --device cuda
run sii14_synthetic_cuda python3 benchmarks/interactions.py --groups 14 --data synthetic \
    --device cuda --skip-shapiq
run dropout_activations_cuda python3 benchmarks/dropout_set.py --device cuda
run dropout_weights_cuda python3 benchmarks/dropout_set.py --device cuda --mode weights
