#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) carried along
# run 30: the launching thread of each process is CPU-bound (about one core) in both models, no
# other thread busy, no run-queue waits, and still the first model is 5 % slower. do virtual CPUs
# that the guest sees as separate cores share physical cores on the host (cpu_pairs.py)? then the
# same model twice (which CPU each launcher sits on, per epoch), and one model with the launchers
# pinned to a pair of CPUs that slow each other down and to a pair that does not
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
python3 benchmarks/diagnostics/cpu_pairs.py --probe 0,1,2,3,4,5,6,7 --repeats 2 --out $OUT/run31_pairs.json
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --images 65536 --timing epochs --epochs 6 --modes package"
S() { grep -v "^{" | grep "GPU/\|ERROR\|Error"; }
P="--parallel 2 --processes 2 --one-gpu-json $OUT/run31_one_gpu.json"
W=/tmp/gpu_training_workers/worker1.log
$B --variants fp32-unroll-fused8 --parallel 1 --out $OUT/run31_one_gpu.json 2>&1 | S
$B --variants fp32-perdev-unroll-fused8,fp32-perdev-unroll-fused8 $P --out $OUT/run31_twice.json 2>&1 | S
cp $W $OUT/run31_twice_worker1.log
read SHARED APART <<< $(python3 - <<'PY'
import json, os
report = json.load(open(os.environ["OUT"] + "/run31_pairs.json"))
pairs = [(r, int(p), int(o)) for p, row in report["ratios"].items() for o, r in row.items() if p != o]
shared = max(pairs)
apart = min(pairs)
print(f"{shared[1]},{shared[2]}" if shared[0] > report["threshold"] else "none", f"{apart[1]},{apart[2]}")
PY
)
echo "pinned pairs: shared $SHARED apart $APART"
if [ "$SHARED" != none ]; then
  $B --variants fp32-perdev-unroll-fused8 $P --pin-launcher $SHARED --out $OUT/run31_pin_shared.json 2>&1 | S
  cp $W $OUT/run31_pin_shared_worker1.log
fi
$B --variants fp32-perdev-unroll-fused8 $P --pin-launcher $APART --out $OUT/run31_pin_apart.json 2>&1 | S
cp $W $OUT/run31_pin_apart_worker1.log
