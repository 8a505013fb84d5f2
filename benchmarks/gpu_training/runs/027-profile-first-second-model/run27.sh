#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# the same two-process model twice in one command, each with a traced extra epoch: where does the
# first one lose its time?
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 4 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error\|^| keras"; }
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8 --parallel 2 --processes 2 --profile /tmp/prof \
  --out $OUT/run27_twice.json 2>&1 | S
python3 benchmarks/diagnostics/profile_summary.py /tmp/prof --out $OUT/run27_profile.json > /dev/null
for f in $(find /tmp/prof -name perfetto_trace.json.gz); do
  n=$(echo $f | sed 's|/tmp/prof/||; s|/plugins/profile/|_|; s|/perfetto_trace.json.gz||')
  [ $(stat -c %s $f) -lt 14000000 ] && cp $f $OUT/trace27_$n.json.gz
done
ls -la $OUT
