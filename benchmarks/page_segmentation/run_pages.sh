#!/bin/bash
# The whole page benchmark in one script run on this CPU, one side after the other: kraken 7.1.1's
# blla segmenter (its Python API, model loaded once; then its command line on the first pages,
# start-up included), the package's segmenter, the scores of both, and a 5,000 x 7,000 scan.
#   bash benchmarks/page_segmentation/run_pages.sh runs/NNN-name [PAGES] [CLI_PAGES]
# PAGES (default all 32) spread over the validation pages; CLI_PAGES (default 3) of them by command.
# LINE_MODEL: the line model that reads the pages (default the shipped one, which has seen the
# validation writers). Run it on a quiet machine; kraken's venv comes from
# benchmarks/copiste_lines/install_kraken.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
RUN=benchmarks/page_segmentation/${1:?give the run folder, e.g. runs/002-kraken-side-by-side}
PAGES=${2:-}
CLI_PAGES=${3:-3}
PY=.venv/bin/python
KRAKEN=/work/kraken-venv/bin
bash benchmarks/copiste_lines/install_kraken.sh > /dev/null
mkdir -p "$RUN"
$PY benchmarks/page_segmentation/package_pages.py list --out "$RUN" ${PAGES:+--limit "$PAGES"}
$KRAKEN/python benchmarks/page_segmentation/kraken_blla.py --pages "$RUN/pages.txt" --out "$RUN" --threads 2 \
  > "$RUN/kraken_blla.log" 2>&1
# the command line as a user runs it, one page a command (start-up and model load included)
start=$(date +%s.%N)
for page in $(head -n "$CLI_PAGES" "$RUN/pages.txt"); do
  $KRAKEN/kraken --threads 2 -d cpu -i "$page" "$RUN/kraken_cli_$(basename "$page" .jpg).json" segment -bl > /dev/null 2>&1
done
end=$(date +%s.%N)
python3 -c "print('kraken command line: %.2f s a page over $CLI_PAGES pages' % (($end - $start) / $CLI_PAGES))" \
  | tee "$RUN/kraken_cli.txt"
start=$(date +%s.%N)
for page in $(head -n "$CLI_PAGES" "$RUN/pages.txt"); do
  $PY inferenceModel.py --image "$page" --output "$RUN/package_cli_$(basename "$page" .jpg).alto.xml" > /dev/null 2>&1
done
end=$(date +%s.%N)
python3 -c "print('package command line (segment and read): %.2f s a page over $CLI_PAGES pages' % (($end - $start) / $CLI_PAGES))" \
  | tee "$RUN/package_cli.txt"
$PY benchmarks/page_segmentation/package_pages.py score --out "$RUN" ${LINE_MODEL:+--line-model "$LINE_MODEL"} \
  > "$RUN/score.txt" 2>&1
$PY benchmarks/page_segmentation/package_pages.py large --out "$RUN" > "$RUN/large.txt" 2>&1
tail -30 "$RUN/score.txt"; cat "$RUN/large.txt"
