#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# 8 and 32 steps per call, one GPU then two processes (one GPU each), 32,768 images (an epoch is a
# whole number of 32-step groups in both); one more epoch of each traced with jax.profiler
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 4 --modes package --profile /tmp/prof"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32-fused8,fp32-fused32 --parallel 1 --out $OUT/run14_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-fused8,fp32-perdev-fused32 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run14_one_gpu.json --out $OUT/run14_two_processes.json 2>&1 | S
python3 benchmarks/diagnostics/profile_summary.py /tmp/prof --out $OUT/run14_profile.json > /dev/null
for d in /tmp/prof/*fused8*; do
  f=$(find $d -name perfetto_trace.json.gz | head -1)
  [ -n "$f" ] && [ $(stat -c %s $f) -lt 16000000 ] && cp $f $OUT/trace_$(basename $d).json.gz
done
ls -la $OUT
