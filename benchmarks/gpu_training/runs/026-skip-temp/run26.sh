#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# is the first model's slower two-process training XLA updating its command buffers (CUDA graphs)
# because the step's temporary buffer moves between calls? probe which update-mode flag this
# jaxlib takes, then one GPU and two processes (first model of the command) with it
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
FLAG=""
for f in --xla_gpu_command_buffer_update_mode=SKIP_TEMP --xla_gpu_command_buffer_update_mode=FULL_UPDATE_FREE \
         --xla_gpu_enable_command_buffer_va_remapping=true; do
  if XLA_FLAGS=$f timeout 120 python3 -c "import jax.numpy as j; print(float(j.ones(3).sum()))" >/tmp/probe.txt 2>&1; then
    echo "flag works: $f"; FLAG=$f; break
  else echo "flag fails: $f: $(tail -c 300 /tmp/probe.txt)"; fi
done
[ -z "$FLAG" ] && exit 3
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras\|WARN"; }
export XLA_FLAGS=$FLAG
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run26_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run26_one_gpu.json --out $OUT/run26_two_processes.json 2>&1 | S
