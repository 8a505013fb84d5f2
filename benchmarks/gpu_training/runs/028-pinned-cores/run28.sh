#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 27's traces: the first model's host launches everything about 20 % slower than the second's;
# are the two workers' launching threads sharing physical cores? the CPU topology, then one GPU,
# two processes pinned to disjoint physical cores (MLTU_EXT_PIN_CPUS=1) and unpinned
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
lscpu | grep -i "model name\|thread\|core\|socket\|numa" > $OUT/run28_lscpu.txt
for c in 0 1 8 16; do echo "cpu$c siblings $(cat /sys/devices/system/cpu/cpu$c/topology/thread_siblings_list)"; done >> $OUT/run28_lscpu.txt
nvidia-smi topo -m >> $OUT/run28_lscpu.txt 2>&1; cat $OUT/run28_lscpu.txt
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
P="--variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 --one-gpu-json $OUT/run28_one_gpu.json"
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run28_one_gpu.json 2>&1 | S
MLTU_EXT_PIN_CPUS=1 $B $P --out $OUT/run28_pinned.json 2>&1 | S
$B $P --out $OUT/run28_unpinned.json 2>&1 | S
grep -h '"cpus"' $OUT/run28_*.json
