#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and, for train.py, .devdata/fonts + .devdata/words.txt carried along
# two H200: one process per GPU (mltu_ext.parallel.multi_process) vs one process for both, per-epoch timing
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
export MLTU_EXT_FONT_DIRS=$PWD/.devdata/fonts MLTU_EXT_WORD_LIST=$PWD/.devdata/words.txt
nvidia-smi -L; uptime
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 5"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total\|Error"; }
echo "== 1: one process (1 GPU, 2 GPUs)"
$B --variants fp32,fp32-perdev --modes package,device --parallel 1,2 --out $OUT/run8_one_process.json 2>&1 | S
echo "== 2: two processes, one GPU each"
$B --variants fp32-perdev,fp32 --modes package,host_f32 --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run8_one_process.json --out $OUT/run8_two_processes.json 2>&1 | S
echo "== 3: 80,000 images (20,000 drawn, 4 copies): 1 GPU, then two processes"
$B --copies 4 --variants fp32 --modes package --parallel 1 --out $OUT/run8_80k_one.json 2>&1 | S
$B --copies 4 --variants fp32-perdev --modes package --parallel 2 --processes 2 \
  --one-gpu-json $OUT/run8_80k_one.json --out $OUT/run8_80k_two_processes.json 2>&1 | S
echo "== 4: train.py --processes 2 on 3,000 rendered words"
timeout 200 python3 train.py --processes 2 --synthetic-samples 3000 --epochs 3 --model-dir /tmp/mp_model --quiet \
  --cache-dir /tmp/mpcache > /tmp/train_mp.log 2>&1; echo "exit $?"
grep -v "^\s*$" /tmp/train_mp.log | grep -iv "absl\|cuda_\|gloo" | tail -12
cat /tmp/mp_model/log.csv; tail -n 3 /tmp/mp_model/workers/worker1.log; ls /tmp/mp_model
cp /tmp/train_mp.log /tmp/mp_model/log.csv $OUT/ 2>/dev/null; uptime
