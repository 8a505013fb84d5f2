#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and .prev carried along; .prev holds mltu_ext/ and configs.py of
# commit e3fdf57 (before: CER/WER loops stop at a device-computed length, CTC loss a lax.scan):
#   mkdir .prev && git archive e3fdf57 mltu_ext configs.py | tar -x -C .prev
# after: CER/WER edit distances and the CTC loss unrolled (straight-line code under JAX)
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1
NOW=/tmp/site:$PWD; PREV=/tmp/site:$PWD/.prev:$PWD
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 32768 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
PYTHONPATH=$PREV $B --variants fp32-fused8 --parallel 1 --out $OUT/run16_before_one_gpu.json 2>&1 | S
PYTHONPATH=$NOW $B --variants fp32-fused8,fp32-fused32 --parallel 1 --profile /tmp/prof --out $OUT/run16_one_gpu.json 2>&1 | S
PYTHONPATH=$PREV $B --variants fp32-perdev-fused8 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run16_before_one_gpu.json --out $OUT/run16_before_two_processes.json 2>&1 | S
PYTHONPATH=$NOW $B --variants fp32-perdev-fused8,fp32-perdev-fused32 --parallel 2 --processes 2 --profile /tmp/prof \
  --one-gpu-json $OUT/run16_one_gpu.json --out $OUT/run16_two_processes.json 2>&1 | S
PYTHONPATH=$NOW python3 benchmarks/diagnostics/profile_summary.py /tmp/prof --out $OUT/run16_profile.json > /dev/null
for d in /tmp/prof/fp32-fused8_1gpu* /tmp/prof/fp32-perdev-fused8_2gpu*_p0; do
  f=$(find $d -name perfetto_trace.json.gz | head -1)
  [ -n "$f" ] && [ $(stat -c %s $f) -lt 16000000 ] && cp $f $OUT/trace16_$(basename $d).json.gz
done
ls -la $OUT
