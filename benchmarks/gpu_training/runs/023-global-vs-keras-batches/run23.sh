#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# three rounds of one GPU, then two processes with global device batches (the package now) and with
# Keras assembling each process's share (before), eight steps per call, unrolled BiLSTM
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error"; }
for r in a b c; do
  $B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run23_one_gpu_$r.json 2>&1 | S
  $B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8-kerasinput --parallel 2 --processes 2 \
    --one-gpu-json $OUT/run23_one_gpu_$r.json --out $OUT/run23_two_processes_$r.json 2>&1 | S
done
