#!/usr/bin/env bash
# Installs kraken 7.1.1 into its own virtualenv (default /work/kraken-venv, outside the repo),
# so that its PyTorch/Lightning stack never meets the package's Keras environment.
#
# Idempotent: a venv that already holds kraken 7.1.1 with a torchvision that imports is kept.
#
# Why not the CPU-only torch that lies on this machine's disk (torch 2.13.0+cpu)?  kraken 7.1.1
# accepts its version (torch>=2.9,<=2.14) but it also needs torchvision (transforms v2, in its
# dataset code), and the only x86_64 torchvision wheels on PyPI are CUDA builds: their _C.so links
# libtorch_cuda.so / libc10_cuda.so, which a CPU torch lacks, and `import torchvision` then fails
# with "operator torchvision::nms does not exist" (checked with torchvision 0.28.0).  So we take
# the CUDA build that plain `pip install kraken==7.1.1` resolves to; it runs on the CPU all the same.
# torch 2.14.1 (on disk) is excluded by kraken's own torch<=2.14, hence 2.14.0 from PyPI.
#
# Usage: bash benchmarks/copiste_lines/install_kraken.sh [VENV_DIR]
set -euo pipefail

VENV="${1:-${KRAKEN_VENV:-/work/kraken-venv}}"
PYTHON="${PYTHON:-python3}"
# Pinned so that every run of the benchmark gets the same stack (what pip resolved on 2026-12-02).
PINS=(kraken==7.1.1 torch==2.14.0 torchvision==0.29.1 lightning==2.6.1)

check() {
    "$VENV/bin/python" - <<'PY'
import importlib.metadata as md
import sys

if md.version("kraken") != "7.1.1":
    sys.exit(1)
import torchvision  # noqa: F401  (fails when torch and torchvision builds do not match)
import kraken.lib.dataset  # noqa: F401
PY
}

start=$(date +%s)
if [ -x "$VENV/bin/python" ] && check 2>/dev/null; then
    echo "kraken 7.1.1 already installed in $VENV"
else
    "$PYTHON" -m venv "$VENV"
    # The machine's pip config lists local file indexes whose "is ignored" warnings are noise;
    # they are filtered from stderr only, so pip's own exit status still stops the script.
    "$VENV/bin/pip" install --quiet "${PINS[@]}" 2> >(grep -v 'is ignored' >&2)
    check
fi
end=$(date +%s)

"$VENV/bin/python" - <<'PY'
import importlib.metadata as md
import platform

for name in ("kraken", "torch", "torchvision", "lightning", "numpy", "coremltools"):
    print(f"{name}=={md.version(name)}")
import torch

print(f"python {platform.python_version()}, torch CUDA build: {torch.version.cuda}, "
      f"CUDA available: {torch.cuda.is_available()}, threads: {torch.get_num_threads()}")
PY
"$VENV/bin/ketos" --version
echo "install/check time: $((end - start)) s"
echo "venv size: $(du -sh "$VENV" | cut -f1)"
