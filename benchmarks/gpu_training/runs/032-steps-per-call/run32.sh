#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# runs 30-31: the launching threads are not slowed by other threads, run-queue waits or the
# cores they sit on, yet the first model's host stays about 5 % slower per step. with two
# processes the host's work per call is on the critical path (about 3 ms of command-buffer update
# per call): do 16 or 32 steps per call bring the first model, the one train.py trains, past
# 1.8x? each two-process command builds one model, so each is a first model
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
W=/tmp/gpu_training_workers/worker1.log
$B --variants fp32-unroll-fused8,fp32-unroll-fused16,fp32-unroll-fused32 --parallel 1 --out $OUT/run32_one_gpu.json 2>&1 | S
for k in 16 32 8; do
  $B --variants fp32-perdev-unroll-fused$k --parallel 2 --processes 2 --one-gpu-json $OUT/run32_one_gpu.json \
    --out $OUT/run32_two_fused$k.json 2>&1 | S
  cp $W $OUT/run32_two_fused${k}_worker1.log
done
