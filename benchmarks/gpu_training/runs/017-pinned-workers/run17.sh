#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# two processes with each worker pinned to cores next to its GPU (MLTU_EXT_PIN_CPUS=1) against
# unpinned workers, alternating, next to one GPU (when this ran, pinning was the launcher's default
# and MLTU_EXT_PIN_CPUS=0 turned it off; the lines below give the same two set-ups now)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi topo -m; lscpu | grep -i "numa\|model name\|^CPU(s)"
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32-fused8 --parallel 1 --out $OUT/run17_one_gpu.json 2>&1 | S
for round in a b; do
  $B --variants fp32-perdev-fused8 --parallel 2 --processes 2 \
    --one-gpu-json $OUT/run17_one_gpu.json --out $OUT/run17_unpinned_$round.json 2>&1 | S
  MLTU_EXT_PIN_CPUS=1 $B --variants fp32-perdev-fused8 --parallel 2 --processes 2 \
    --one-gpu-json $OUT/run17_one_gpu.json --out $OUT/run17_pinned_$round.json 2>&1 | S
  grep -o '"cpus": "[^"]*"' $OUT/run17_pinned_$round.json
done
