#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and, for train.py, .devdata/fonts + .devdata/words.txt carried along
# what does the gradient exchange cost? per-device step with and without it, one process and two
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L; uptime
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 5"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
echo "== 1: one process"
$B --variants fp32,fp32-perdev,fp32-perdev-noexchange --modes package --parallel 1,2 --out $OUT/run9_one_process.json 2>&1 | S
echo "== 2: two processes"
NCCL_DEBUG=INFO $B --variants fp32-perdev,fp32-perdev-noexchange --modes package --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run9_one_process.json --out $OUT/run9_two_processes.json > /tmp/two.log 2>&1
S < /tmp/two.log; grep -i "via\|transport\|P2P\|SHM" /tmp/two.log | sort | uniq -c | head -12
grep -i "via\|P2P\|SHM" /tmp/gpu_training_workers/worker1.log | sort | uniq -c | head -5
uptime
