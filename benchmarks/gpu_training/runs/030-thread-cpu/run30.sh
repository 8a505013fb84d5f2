#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# why does the first model of a two-process command run its host 1.3x slower than the second?
# the same model twice in two processes, with each process's per-thread CPU seconds and run-queue
# waits (host_cpu) and a machine monitor (top per thread, CPU clock) every 5 s; one GPU twice too
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error"; }
monitor() {
  while true; do
    echo "=== $(date +%s.%N)"
    top -H -b -n1 -w 220 | head -32
    grep MHz /proc/cpuinfo | awk '{s+=$4; n++; if ($4>m) m=$4} END {print "MHz mean", s/n, "max", m}'
    cat /sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq 2>/dev/null
    sleep 5
  done
}
monitor > $OUT/run30_monitor.txt 2>&1 &
M=$!
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8 --parallel 2 --processes 2 \
  --out $OUT/run30_twice.json 2>&1 | S
cp /tmp/gpu_training_workers/worker1.log $OUT/run30_twice_worker1.log
echo "=== one GPU" >> $OUT/run30_monitor.txt
$B --variants fp32-unroll-fused8,fp32-unroll-fused8 --parallel 1 --out $OUT/run30_one_gpu_twice.json 2>&1 | S
kill $M
