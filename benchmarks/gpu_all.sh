#!/usr/bin/env bash
# Everything to run on a lent CUDA machine, in one call (device time is short): the GPU tests, the
# kernel breakdown (benchmarks/gpu_kernel.py), issue 14's GPU target (speed.py --gpu) and the
# propagation benchmark on the device. Each step
# has its own time limit, so one that hangs does not take the others with it. Logs go to $OUT
# (or ./gpu-logs); a table of the steps' exit codes is printed last.
#
#   bash benchmarks/gpu_all.sh
set -u
out=${OUT:-gpu-logs}
mkdir -p "$out"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
py=${PYTHON:-python3}
declare -a summary

step() {  # step NAME SECONDS COMMAND...
    local name=$1 limit=$2
    shift 2
    local t0=$SECONDS
    echo "=== $name (limit ${limit}s)"
    timeout "$limit" "$@" >"$out/$name.log" 2>&1
    local rc=$?
    tail -n 60 "$out/$name.log"
    summary+=("$(printf '%-12s rc %-3s %4ss' "$name" "$rc" "$((SECONDS - t0))")")
}

step env 30 bash -c "nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm \
    --format=csv; uptime; $py -c 'import sys, torch, triton, numpy, scipy; print(sys.version); \
print(torch.__version__, torch.version.cuda, triton.__version__, numpy.__version__, scipy.__version__); \
import verifier.stats.fused as f; print(\"numba fused path:\", f.available())'"
step kernel 180 "$py" benchmarks/gpu_kernel.py --profile "$out/profile.txt"
# the tests that need CUDA (the rest is CI's: the device's torch is not the pinned one, and its CPU
# float16/bfloat16 sampling differs; see benchmarks/README.md, "Results (GPU)")
step tests 150 "$py" -m pytest -q -p no:cacheprovider -n 8 -rs -k "cuda or gpu" tests/test_gpu.py \
    tests/stats/test_gpu.py tests/stats/test_structure.py tests/sources/test_values.py tests/test_api.py \
    tests/propagation
step speed 150 "$py" benchmarks/speed.py --gpu
step propagate 60 "$py" benchmarks/propagation.py --device cuda
printf '%s\n' "${summary[@]}"
