#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# CER/WER loops with a fixed trip count (the package now) against the same loops made to check
# their condition on the host (-syncloops), 8 and 32 steps per call; one GPU, then two processes
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 4 --modes package --profile /tmp/prof"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
$B --variants fp32-fused8-syncloops,fp32-fused8,fp32-fused32 --parallel 1 --out $OUT/run15_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-fused8-syncloops,fp32-perdev-fused8,fp32-perdev-fused32 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run15_one_gpu.json --out $OUT/run15_two_processes.json 2>&1 | S
python3 benchmarks/diagnostics/profile_summary.py /tmp/prof --out $OUT/run15_profile.json > /dev/null
for d in /tmp/prof/fp32-fused8_1gpu* /tmp/prof/fp32-perdev-fused8_2gpu*; do
  f=$(find $d -name perfetto_trace.json.gz | head -1)
  [ -n "$f" ] && [ $(stat -c %s $f) -lt 16000000 ] && cp $f $OUT/trace15_$(basename $d).json.gz
done
ls -la $OUT
