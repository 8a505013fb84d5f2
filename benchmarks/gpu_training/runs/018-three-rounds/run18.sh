#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# the package after the unrolled CTC loss and metric loops: three rounds of one GPU then two
# processes (one GPU each), eight steps per call, for the spread of the two-GPU ratio
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|total\|Error"; }
for round in a b c; do
  $B --variants fp32-fused8 --parallel 1 --out $OUT/run18_one_gpu_$round.json 2>&1 | S
  $B --variants fp32-perdev-fused8 --parallel 2 --processes 2 \
    --one-gpu-json $OUT/run18_one_gpu_$round.json --out $OUT/run18_two_processes_$round.json 2>&1 | S
done
