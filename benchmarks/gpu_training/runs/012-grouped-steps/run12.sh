#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# experiment: eight training steps per compiled call (lax.scan over the batches), one process
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L
timeout 250 python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 4 --modes package \
  --variants fp32,fp32-fused8,fp32-perdev,fp32-perdev-fused8 --parallel 1,2 --time-budget 200 \
  --out $OUT/run12_fused.json 2>&1 | grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"
