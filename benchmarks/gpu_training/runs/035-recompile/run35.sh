#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 34: the first model compiled without autotuning (XLA's cache on disk) stays at 86,000 img/s.
# runs 22-24 and 30-31: a second model in the same processes trains at 90,000. does compiling the
# first model's step a second time do it? (mltu_ext.callbacks.RecompileAfterFirstEpoch)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run35_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 --recompile --one-gpu-json $OUT/run35_one_gpu.json \
  --out $OUT/run35_recompile.json 2>&1 | S
cp /tmp/gpu_training_workers/worker1.log $OUT/run35_recompile_worker1.log
