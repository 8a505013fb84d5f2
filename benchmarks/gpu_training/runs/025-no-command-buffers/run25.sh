#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# the second model of a two-process command trains faster (run 24); the same without XLA's command
# buffers (CUDA graphs), which are re-recorded when a call's buffers move
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
export XLA_FLAGS=--xla_gpu_enable_command_buffer=
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run25_one_gpu_nocb.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run25_one_gpu_nocb.json --out $OUT/run25_twice_nocb.json 2>&1 | S
