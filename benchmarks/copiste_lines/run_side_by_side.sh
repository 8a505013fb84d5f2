#!/bin/bash
# The whole Copiste line benchmark in one script run, one side after the other on this CPU:
# the package's line recipe for MINUTES, then kraken 7.1.1 for MINUTES, each tested on the
# validation writers of split.json, then both models' line-reading speed on the same line images.
#   bash benchmarks/copiste_lines/run_side_by_side.sh runs/NNN-name [MINUTES]   (default 60)
# Run it on a quiet machine: both sides use both cores. KRAKEN_FREQ (default 0.25) is ketos -F:
# validating four times an epoch gives kraken's best checkpoint a fair chance inside the budget,
# since one epoch of its default network takes about half an hour on two cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=benchmarks/copiste_lines/${1:?give the run folder, e.g. runs/001-60min}
MINUTES=${2:-60}
KRAKEN_FREQ=${KRAKEN_FREQ:-0.25}
PY=.venv/bin/python
bash benchmarks/copiste_lines/install_kraken.sh
mkdir -p "$RUN"
echo "package: $MINUTES minutes"
$PY benchmarks/copiste_lines/package_side.py train --minutes "$MINUTES" --out "$RUN/package"
$PY benchmarks/copiste_lines/package_side.py test --out "$RUN/package"
echo "kraken: $MINUTES minutes"
$PY benchmarks/copiste_lines/kraken_side.py train --minutes "$MINUTES" --freq "$KRAKEN_FREQ" --out "$RUN/kraken"
$PY benchmarks/copiste_lines/kraken_side.py test --model "$RUN/kraken/best.safetensors" --out "$RUN/kraken"
$PY benchmarks/copiste_lines/kraken_side.py speed --model "$RUN/kraken/best.safetensors" --out "$RUN/kraken"
$PY benchmarks/copiste_lines/package_side.py speed --out "$RUN/package" --lines "$RUN/kraken/val_lines"
$PY benchmarks/copiste_lines/compare.py "$RUN" | tee "$RUN/RESULTS.md"
