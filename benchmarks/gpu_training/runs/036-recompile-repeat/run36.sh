#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 35 again (four timed epochs): the first model with its step compiled a second time;
# the two processes first, then one GPU
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
$B --variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 --recompile --one-gpu-json $OUT/run36_one_gpu.json \
  --out $OUT/run36_recompile.json 2>&1 | S
cp /tmp/gpu_training_workers/worker1.log $OUT/run36_recompile_worker1.log
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run36_one_gpu.json 2>&1 | S
python3 - <<'PY'
import json, os
o = os.environ["OUT"]
one = json.load(open(o + "/run36_one_gpu.json"))["results"][0]["img_per_s"]
two = json.load(open(o + "/run36_recompile.json"))["results"][-1]["img_per_s"]
print(f"2 processes (recompiled) / 1 GPU: {two} / {one} = {two / one:.3f}")
PY
