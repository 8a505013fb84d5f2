#!/bin/bash
# Train the line model under JAX on one H200, two runs side by side on the one GPU
# (each keeps it about half busy): "split" trains on the training writers of
# benchmarks/copiste_lines/split.json and validates on its validation writers;
# "all" trains on all 227 writers (validated on rendered lines) for the shipped
# model. Run from the repository root with carry [.whl, .devdata]:
#   .whl      keras, namex, optree wheels (cp312)
#   .devdata  copiste_h64/ (python -m mltu_ext.data export-lines --dataset ../shared/data/copiste
#             --writer-pattern '^(.*?)(?:_\d)?$' -o .devdata/copiste_h64 --height 64 --jpeg-quality 75),
#             fonts/ (the handwriting fonts find_fonts() lists), dict/ (25,000 words of each word list)
# Each model comes back as a tar split in 15 MB parts under $OUT.
set -uo pipefail
MINUTES=${MINUTES:-6.5}
PRE=${PRE:-2.5}
RENDERED=${RENDERED:-20000}
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1 MLTU_EXT_FONT_DIRS=$PWD/.devdata/fonts
export JAX_COMPILATION_CACHE_DIR=/tmp/jaxcache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=2
mkdir -p /usr/share/dict && cp .devdata/dict/* /usr/share/dict/
T0=$(date +%s)
# the warm-up lines, rendered once for both runs (the same folder train.py would render);
# bounded, so that a slow render leaves the time to training without a warm-up
python3 -c "import os; print('cpus', os.cpu_count(), len(os.sched_getaffinity(0)))"
timeout 120 python3 -c "
from mltu_ext.synth.line_dataset import build_line_dataset
build_line_dataset('Datasets/pretrain_lines', $RENDERED, height=64, seed=0, val_fraction=0.0, workers=16)
build_line_dataset('.devdata/rendered_val', 600, height=64, seed=7, val_fraction=0.0, workers=16)
" > $OUT/render.log 2>&1
RC=$?
echo "rendered in $(( $(date +%s) - T0 )) s (exit $RC)"
if [ $RC -ne 0 ]; then
  tail -5 $OUT/render.log
  WARM="--pretrain-samples 0 --set mix_rendered=0"
else
  WARM="--pretrain-samples $RENDERED --pretrain-minutes $PRE"
fi
RUNS="split"
if [ -f .devdata/rendered_val/labels.csv ]; then
RUNS="split all"
python3 - <<'PY'
import csv
rows = list(csv.DictReader(open(".devdata/copiste_h64/labels.csv", encoding="utf-8")))
val = list(csv.DictReader(open(".devdata/rendered_val/labels.csv", encoding="utf-8")))
with open(".devdata/all_writers.csv", "w", newline="", encoding="utf-8") as handle:
    out = csv.writer(handle)
    out.writerow(["file_name", "text", "writer_id", "split"])
    out.writerows(["copiste_h64/" + r["file_name"], r["text"], r["writer_id"], "train"] for r in rows)
    out.writerows(["rendered_val/" + r["file_name"], r["text"], "font_" + r["writer_id"], "val"] for r in val)
PY
fi
VAL=$(python3 -c "import json; print(','.join(json.load(open('benchmarks/copiste_lines/split.json'))['val_writers']))")
COMMON="--recipe lines_large --quiet --max-minutes $MINUTES $WARM --cache-dir /tmp/cache $*"
LIMIT=${LIMIT:-420}
timeout $LIMIT python3 train.py $COMMON --dataset .devdata/copiste_h64/labels.csv --val-writers "$VAL" --model-dir /tmp/m_split > $OUT/split.log 2>&1 &
[ "$RUNS" = "split all" ] && timeout $LIMIT python3 train.py $COMMON --dataset .devdata/all_writers.csv --model-dir /tmp/m_all > $OUT/all.log 2>&1 &
wait
echo "trained in $(( $(date +%s) - T0 )) s"
for m in $RUNS; do
  tar czf /tmp/$m.tgz -C /tmp/m_$m --exclude='*.npz' --exclude=last.keras --exclude=workers .
  split -b 15m /tmp/$m.tgz $OUT/$m.tgz.part_
done
ls -la $OUT; for m in $RUNS; do grep -a "val_CER" $OUT/$m.log | tail -4; tail -3 $OUT/$m.log; done
