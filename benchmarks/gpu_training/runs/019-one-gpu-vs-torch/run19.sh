#!/bin/bash
# run from the repository root on nvidia-h200 (one GPU), with .whl (keras 3.15.1, namex, optree
# wheels for cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 5 again after the unrolled CTC loss and metric loops: the same network in plain PyTorch,
# then Keras 3 + JAX one step per call and eight steps per call, the same 20,000 words
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
python3 benchmarks/gpu_training/torch_reference.py --model default --precisions fp32 --modes host,device \
  --cache-file /tmp/words.npz --out $OUT/run19_torch.json 2>&1 | grep "^|\|total\|Error"
python3 benchmarks/gpu_training/gpu_training.py --variants fp32,fp32-fused8 --modes package --epochs 4 \
  --cache-file /tmp/words.npz --torch-json $OUT/run19_torch.json --out $OUT/run19_one_gpu.json 2>&1 \
  | grep "^|\|JAX/\|total\|Error"
