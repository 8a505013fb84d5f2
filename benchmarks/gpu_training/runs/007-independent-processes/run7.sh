#!/bin/bash
# run from the repository root on nvidia-h200-x2, with .whl (keras 3.15.1, namex, optree wheels for
# cp312; benchmarks/gpu_training/GPU_NOTES.md) and, for train.py, .devdata/fonts + .devdata/words.txt carried along
# is two-GPU training host-bound? independent processes, command buffers, larger batch
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1
nvidia-smi -L; nproc; uptime
B="python3 benchmarks/gpu_training/gpu_training.py --cache-file /tmp/words.npz --timing epochs --epochs 5"
S() { grep -v "^{" | grep "^|\|GPU/\|ERROR\|total"; }
echo "== a: one process, GPU 0 alone"
CUDA_VISIBLE_DEVICES=0 $B --variants fp32 --modes package,device --out $OUT/run7_one_gpu_alone.json 2>&1 | S
echo "== b: two independent processes, one per GPU, at once"
CUDA_VISIBLE_DEVICES=0 $B --variants fp32 --modes package,device --out $OUT/run7_independent_gpu0.json > /tmp/b0.log 2>&1 &
CUDA_VISIBLE_DEVICES=1 $B --variants fp32 --modes package,device --out $OUT/run7_independent_gpu1.json > /tmp/b1.log 2>&1 &
wait; S < /tmp/b0.log; S < /tmp/b1.log
echo "== c: command buffers incl. WHILE/CONDITIONAL"
XLA_FLAGS="--xla_gpu_enable_command_buffer=FUSION,CUBLAS,CUBLASLT,CUSTOM_CALL,CUDNN,WHILE,CONDITIONAL" \
  $B --variants fp32,fp32-perdev --modes package,device --parallel 1,2 --out $OUT/run7_command_buffers.json 2>&1 | S
echo "== d: 512 per GPU"
$B --variants fp32,fp32-perdev --modes package,device --parallel 1,2 --batch-size 512 --out $OUT/run7_batch512.json 2>&1 | S
uptime
