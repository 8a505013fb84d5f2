#!/bin/bash
# One long line training on one H200, longer than a device call's 10 minutes: `start` launches
# device_long_chain.sh in its own process session (it runs on between calls while the machine
# is held), `wait SECONDS` follows it, `collect` packs the models under $OUT (tar parts of 15 MB).
# Run from the repository root; .devdata is made by prepare_devdata.py (copiste_h64/ comes as
# copiste_h64.tar or its parts copiste_h64.tar.part_*, DHSD's words as dhsd_h64.tar or its parts,
# which `start` unpacks). The tree, .whl and .devdata together pass the 64 MiB carry, so `stage` (carry a few
# of .devdata's files a call) adds them to /tmp of the held machine and `start` (carry [.whl])
# takes them back from there; make the calls back to back, before the machine goes idle.
# The tracked tree alone is about 50 MB (shipped models, packed weights of earlier runs): first
# `python benchmarks/line_model/device_tree.py aside --keep "$INIT_NPZ"` (about 9 MB left, so a
# stage call carries up to three 16 MiB parts), and `device_tree.py back` once the lease is over.
#   bash benchmarks/line_model/device_long.sh stage        # as often as the parts need, e.g.
#        three calls: carry [fonts, dict, .whl, jaxcache parts (two), copiste part_aa, dhsd part_ab],
#        [copiste part_ab, part_ac], [copiste part_ad, part_ae, dhsd part_aa] (all under .devdata)
#   bash benchmarks/line_model/device_long.sh start [SECONDS]
#   bash benchmarks/line_model/device_long.sh wait SECONDS   # collects too once the chain is done
#   bash benchmarks/line_model/device_long.sh collect
# A machine goes back 30 minutes after it was started, busy or not, and also when it is left idle
# between two calls for longer than its idle release (status: idle_release_s, as short as 30 s):
# make the calls back to back with nothing between them. Every `wait` packs the models that are
# finished by then (split as soon as it is saved again), and of a training still running its best
# checkpoint so far, without the optimizer (NAME.snapshot.tgz.part_*: a start for --init-from), so
# that a machine lost later keeps them; a `wait` that sees the chain end packs everything.
# `collect` also packs JAX's compile cache (when under 60 MB) as jaxcache.tgz.part_*: copied into
# .devdata and staged, `start` unpacks it, so that a later chain skips most of its compiles.
# The chain's settings come from the environment of `start` (see device_long_chain.sh).
set -uo pipefail
STEP=${1:?stage, start, wait or collect}
WORK=/tmp/long
show() {
  tail -4 $WORK/chain.log
  for log in $WORK/*.train.log; do [ -f "$log" ] && { echo "== $log"; grep -a "val_CER" "$log" | tail -3; }; done
}
follow() {  # until the chain ends or $1 seconds have passed
  if [ ! -f $WORK/chain.log ]; then
    echo "no chain on this machine: the held one was given back and this is a fresh one" >&2
    exit 3
  fi
  local end=$(( $(date +%s) + $1 ))
  while [ "$(date +%s)" -lt $end ] && [ ! -f $WORK/done ]; do sleep 10; done
  show
}
snapshot() {  # the best checkpoint so far of each training still running, without its optimizer
  for m in split split_b all; do
    [ -f $WORK/m_$m/best.keras ] && [ ! -f $WORK/$m.ready ] || continue
    rm -rf $WORK/snap_$m && mkdir -p $WORK/snap_$m && cp $WORK/m_$m/*.json $WORK/snap_$m/ 2>/dev/null
    cp $WORK/m_$m/best.keras $WORK/snap_$m/copy.keras || continue
    # on the CPU: the training process holds the GPU's memory; a checkpoint caught half-written fails here
    if JAX_PLATFORMS=cpu PYTHONPATH=/tmp/site:$PWD KERAS_BACKEND=jax python3 -c "
import sys, keras
import mltu_ext.model.augment  # noqa: F401
keras.saving.load_model(sys.argv[1], compile=False).save(sys.argv[2])
" $WORK/snap_$m/copy.keras $WORK/snap_$m/best.keras; then
      rm $WORK/snap_$m/copy.keras
      tar czf $WORK/$m.snapshot.tgz -C $WORK/snap_$m . && split -b 15m $WORK/$m.snapshot.tgz "$OUT/$m.snapshot.tgz.part_"
      echo "snapshot of $m's best checkpoint so far: $m.snapshot.tgz.part_*"
    else
      echo "no snapshot of $m this time (its checkpoint could not be read)"
    fi
  done
}
pack() {  # the model folders whose training is over ($1: only those marked ready)
  for m in split split_b all; do
    [ -d $WORK/m_$m ] || continue
    if [ "${1:-}" = ready ] && [ ! -f $WORK/$m.ready ]; then continue; fi
    tar czf $WORK/$m.tgz -C $WORK/m_$m --exclude='*.npz' --exclude=last.keras --exclude='pretrain/*.keras' --exclude=workers .
    split -b 15m $WORK/$m.tgz "$OUT/$m.tgz.part_"
  done
}
collect() {
  pack
  # the compiled steps, for a later session's chain (JAX_COMPILATION_CACHE_DIR), when they are small
  if [ -d /tmp/jaxcache ] && [ "$(du -sm /tmp/jaxcache | cut -f1)" -lt 60 ]; then
    tar czf $WORK/jaxcache.tgz -C /tmp jaxcache && split -b 15m $WORK/jaxcache.tgz "$OUT/jaxcache.tgz.part_"
  fi
  cp $WORK/chain.log $WORK/*.train.log "$OUT/" 2>/dev/null
  ls -la "$OUT"
}
case $STEP in
stage)
  mkdir -p /tmp/devdata_keep && cp -r .devdata/. /tmp/devdata_keep/ && ls -l /tmp/devdata_keep
  ;;
start)
  if [ -d /tmp/devdata_keep ]; then rm -rf .devdata && cp -r /tmp/devdata_keep .devdata; fi
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
  mkdir -p $WORK /usr/share/dict && cp .devdata/dict/* /usr/share/dict/
  # the crops travel as tars in parts (copiste_h64/, dhsd_h64/) to fit the 64 MiB carry
  for t in copiste_h64 dhsd_h64; do
    if ls .devdata/$t.tar.part_* > /dev/null 2>&1; then
      cat .devdata/$t.tar.part_* | tar x -C .devdata || exit 1
    fi
  done
  # a compile cache that an earlier collect brought back, when staged
  if ls .devdata/jaxcache.tgz.part_* > /dev/null 2>&1; then
    cat .devdata/jaxcache.tgz.part_* | tar xz -C /tmp || exit 1
  fi
  for t in .devdata/copiste_h64.tar .devdata/dhsd_h64.tar; do [ -f $t ] && { tar xf $t -C .devdata || exit 1; }; done
  rm -f $WORK/done $WORK/*.ready
  : > $WORK/chain.log  # before the chain opens it: follow looks for it at once
  setsid nohup bash benchmarks/line_model/device_long_chain.sh > $WORK/chain.log 2>&1 < /dev/null &
  follow "${2:-120}"
  ;;
wait)
  follow "${2:?seconds}"
  if [ -f $WORK/done ]; then collect; else pack ready; snapshot; cp $WORK/chain.log $WORK/*.train.log "$OUT/" 2>/dev/null; fi
  ;;
collect)
  collect; show
  ;;
esac
