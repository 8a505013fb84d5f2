#!/bin/bash
# The chain that device_long.sh starts: render the warm-up lines, train "split" (the training
# writers of benchmarks/copiste_lines/split.json, validated on its validation writers), then
# "all": split's model fine-tuned on all 227 writers (validated on rendered lines), for the
# shipped model. Each best.keras is saved again without its optimizer (a third of the size), and
# split's last.keras too, as end.keras (the averaged weights at the end of its run).
# Settings: SPLIT_MINUTES (13), PRE (2.5 of them on rendered lines), RENDERED (30000),
# ALL_MINUTES (5, half a minute of them on the rendered lines again, which the mix of
# rendered lines into the real ones needs; 0 skips it), ALL_LR (3e-4), EXTRA (more train.py options for both runs).
# PRE=0: no warm-up; mix_csv.py puts all RENDERED lines (and DHSD's words of writers 1-27 when
# .devdata/dhsd_h64 is there) into the training rows of both runs from the first step.
# A_EXTRA (train.py options for split only, such as --init-from DIR --learning-rate 8e-4).
# INIT_NPZ: a split model packed by pack_weights.py (int8 weights, in the repository, so that a
# session whose machine kept nothing need not start from random weights): unpacked and given to
# split (and split_b) as --init-from (do not also pass --init-from in A_EXTRA or B_EXTRA).
# B_EXTRA (train.py options): a second split run, "split_b", trains beside the first on the same
# GPU (each process gets 45 % of its memory); "all" then starts from the split run with the
# lower best validation CER.
# RENDER_SEED (0): the seed of the rendered training lines; another seed gives a lease that
# continues an earlier model lines it has not seen (not 7, the seed of "all"'s rendered validation lines).
# CAPITALS (a share such as 0.25): the rendered training lines written in capitals, most of them
# in small capitals (build_line_dataset's capitals; by default its own share).
# ALL_IF_BELOW (a CER such as 0.118): "all" runs only when split's best validation CER (Keras) is
# below it, so that a lease whose split model would not be shipped spends no minutes on "all".
set -uo pipefail
WORK=/tmp/long
SPLIT_MINUTES=${SPLIT_MINUTES:-13}
PRE=${PRE:-2.5}
RENDERED=${RENDERED:-30000}
ALL_MINUTES=${ALL_MINUTES:-5}
ALL_LR=${ALL_LR:-3e-4}
EXTRA=${EXTRA:-}
A_EXTRA=${A_EXTRA:-}
INIT_NPZ=${INIT_NPZ:-}
B_EXTRA=${B_EXTRA:-}
ALL_IF_BELOW=${ALL_IF_BELOW:-}
RENDER_SEED=${RENDER_SEED:-0}
CAPS_ARG=""
[ -n "${CAPITALS:-}" ] && CAPS_ARG=", capitals=$CAPITALS"
export PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax PYTHONUNBUFFERED=1 MLTU_EXT_FONT_DIRS=$PWD/.devdata/fonts
export JAX_COMPILATION_CACHE_DIR=/tmp/jaxcache JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS=1
T0=$(date +%s)
stamp() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
# rendered from -c: spawned workers re-import a script file without a main guard
timeout 240 python3 -c "
from mltu_ext.synth.line_dataset import build_line_dataset
build_line_dataset('Datasets/pretrain_lines', $RENDERED, height=64, seed=$RENDER_SEED, val_fraction=0.0, workers=16$CAPS_ARG)
build_line_dataset('.devdata/rendered_val', 600, height=64, seed=7, val_fraction=0.0, workers=16)
" > $WORK/render.log 2>&1
stamp "rendered (exit $?)"
cat > $WORK/all_writers.py <<'PY'
import csv
rows = list(csv.DictReader(open(".devdata/copiste_h64/labels.csv", encoding="utf-8")))
val = list(csv.DictReader(open(".devdata/rendered_val/labels.csv", encoding="utf-8")))
with open(".devdata/all_writers.csv", "w", newline="", encoding="utf-8") as handle:
    out = csv.writer(handle)
    out.writerow(["file_name", "text", "writer_id", "split"])
    out.writerows(["copiste_h64/" + r["file_name"], r["text"], r["writer_id"], "train"] for r in rows)
    out.writerows(["rendered_val/" + r["file_name"], r["text"], "font_" + r["writer_id"], "val"] for r in val)
PY
python3 $WORK/all_writers.py
cat > $WORK/resave.py <<'PY'
import sys
import keras
import mltu_ext.model.augment  # noqa: F401  (the augmentation layer the checkpoint names)
path = sys.argv[1]
keras.saving.load_model(path, compile=False).save(path)
PY
if [ "$PRE" = 0 ]; then
  DHSD=""; [ -f .devdata/dhsd_h64/labels.csv ] && DHSD="--dhsd .devdata/dhsd_h64/labels.csv"
  MIX="python3 benchmarks/line_model/mix_csv.py --copiste .devdata/copiste_h64/labels.csv --rendered Datasets/pretrain_lines/labels.csv $DHSD"
fi
if [ -n "$INIT_NPZ" ]; then
  python3 benchmarks/line_model/pack_weights.py unpack "$INIT_NPZ" $WORK/init_split || exit 1
  A_EXTRA="--init-from $WORK/init_split $A_EXTRA"
  [ -n "$B_EXTRA" ] && B_EXTRA="--init-from $WORK/init_split $B_EXTRA"  # both from the same weights
  stamp "split starts from $INIT_NPZ"
fi
VAL=$(python3 -c "import json; print(','.join(json.load(open('benchmarks/copiste_lines/split.json'))['val_writers']))")
COMMON="--recipe lines_large --quiet --bucket-width 512 --cache-dir /tmp/cache $EXTRA"
stamp "split: $SPLIT_MINUTES minutes"
if [ "$PRE" = 0 ]; then
  $MIX split --val-writers "$VAL" -o .devdata/split_mix.csv
  SPLIT_DATA="--dataset .devdata/split_mix.csv --pretrain-samples 0 --set mix_rendered=0"
else
  SPLIT_DATA="--dataset .devdata/copiste_h64/labels.csv --val-writers $VAL --pretrain-samples $RENDERED --pretrain-minutes $PRE"
fi
if [ -n "$B_EXTRA" ]; then
  export XLA_PYTHON_CLIENT_MEM_FRACTION=0.45
  # its own image cache: two processes must not write one cache at once
  python3 train.py $COMMON $SPLIT_DATA $B_EXTRA --cache-dir /tmp/cache_b --max-minutes "$SPLIT_MINUTES" \
    --model-dir $WORK/m_split_b > $WORK/split_b.train.log 2>&1 &
  B_PID=$!
fi
python3 train.py $COMMON $SPLIT_DATA $A_EXTRA --max-minutes "$SPLIT_MINUTES" \
  --model-dir $WORK/m_split > $WORK/split.train.log 2>&1
stamp "split done (exit $?)"
python3 $WORK/resave.py $WORK/m_split/best.keras && stamp "split resaved"
# the end of the cosine as well as the best epoch: a best chosen on the validation lines favours a dip
cp $WORK/m_split/last.keras $WORK/m_split/end.keras && python3 $WORK/resave.py $WORK/m_split/end.keras && stamp "split end resaved"
touch $WORK/split.ready
FROM=$WORK/m_split
if [ -n "$B_EXTRA" ]; then
  wait $B_PID; stamp "split_b done (exit $?)"
  unset XLA_PYTHON_CLIENT_MEM_FRACTION
  python3 $WORK/resave.py $WORK/m_split_b/best.keras && stamp "split_b resaved" && touch $WORK/split_b.ready
  FROM=$(python3 -c "
import json, sys
runs = sys.argv[1:]
print(min(runs, key=lambda d: json.load(open(d + '/summary.json'))['best_val_CER']))
" $WORK/m_split $WORK/m_split_b)
  stamp "all starts from $FROM"
fi
if [ -n "$ALL_IF_BELOW" ] && [ "$ALL_MINUTES" != 0 ]; then
  BEST=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1] + '/summary.json'))['best_val_CER'])" "$FROM")
  if python3 -c "import sys; sys.exit(not float(sys.argv[1]) < float(sys.argv[2]))" "$BEST" "$ALL_IF_BELOW"; then
    stamp "split's best validation CER $BEST is below $ALL_IF_BELOW: all runs"
  else
    stamp "split's best validation CER $BEST is not below $ALL_IF_BELOW: all skipped"
    ALL_MINUTES=0
  fi
fi
if [ "$ALL_MINUTES" != 0 ]; then
  if [ "$PRE" = 0 ]; then
    $MIX all --rendered-val .devdata/rendered_val/labels.csv -o .devdata/all_mix.csv
    ALL_DATA="--dataset .devdata/all_mix.csv --pretrain-samples 0 --set mix_rendered=0"
  else
    ALL_DATA="--dataset .devdata/all_writers.csv --pretrain-samples $RENDERED --pretrain-minutes 0.5"
  fi
  python3 train.py $COMMON $ALL_DATA --init-from "$FROM" \
    --max-minutes "$ALL_MINUTES" --learning-rate "$ALL_LR" \
    --model-dir $WORK/m_all > $WORK/all.train.log 2>&1
  stamp "all done (exit $?)"
  python3 $WORK/resave.py $WORK/m_all/best.keras && stamp "all resaved" && touch $WORK/all.ready
fi
touch $WORK/done
