#!/usr/bin/env bash
# Set up a fresh machine (Python 3.11): handwriting fonts and an English word
# list from Debian packages (for the embedded training data), a virtualenv in
# .venv, the package with its dependencies, and mltu without its Jupyter pins.
# Safe to run again: what is already there is kept.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES="fonts-dancingscript fonts-kaushanscript fonts-breip fonts-comic-neue \
fonts-dkg-handwriting fonts-kristi fonts-ecolier-court fonts-sjfonts fonts-rufscript \
fonts-femkeklaver fonts-lobster fonts-leckerli-one wamerican wfrench wngerman"

missing=""
if command -v dpkg-query >/dev/null 2>&1; then
  for pkg in $DEBIAN_PACKAGES; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing="$missing $pkg"
  done
fi
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
    echo "installing fonts and word list:$missing"
    $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null \
      || echo "warning: could not install$missing; the renderer falls back to OpenCV's fonts"
  else
    echo "note: cannot install$missing here; the renderer falls back to OpenCV's fonts and a built-in word list"
  fi
fi

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[test]"
# mltu 1.2.5 pins qqdm==0.0.7, which drags in Jupyter (~90 packages); its code
# needs only what the line above installed
.venv/bin/python -m pip install -q --no-deps "mltu==1.2.5"
# Node.js and npm for the JavaScript examples, from Debian when they are missing and apt-get
# can run (the machines this is made for have Node.js 20 already)
if ! command -v npm >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
    echo "installing nodejs and npm (for examples/node and examples/web)"
    { $SUDO apt-get update -qq >/dev/null && $SUDO apt-get install -y -qq nodejs npm >/dev/null; } \
      || echo "warning: could not install nodejs; the JavaScript examples' tests are skipped"
  fi
fi
# the Node.js reader of exported models (examples/node); optional: without npm it is skipped.
# --ignore-scripts: onnxruntime-node's install script downloads more from outside the
# registry (GPU libraries); its CPU binary ships inside the package
if command -v npm >/dev/null 2>&1; then
  (cd examples/node && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null) \
    || echo "note: npm install in examples/node failed; the Node.js reader and its test are skipped"
fi

# ---- the web page (examples/web) and its browser test -------------------------------------
# Optional, like the Node.js reader: without npm the page has no ONNX Runtime, and without
# Chromium tests/examples/test_web_page.py is skipped. onnxruntime-web's build files are
# third-party: `npm run vendor` copies them into examples/web/vendor/ (gitignored) here.
if command -v npm >/dev/null 2>&1; then
  (cd examples/web && npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null \
    && npm run --silent vendor >/dev/null) \
    || echo "note: npm install in examples/web failed; the web page cannot load ONNX Runtime and its test is skipped"
else
  echo "note: npm not found; examples/web/vendor/ stays empty and the web page test is skipped"
fi
# headless Chromium and its driver, for the web page's test (about 400-600 MB installed, half a minute)
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
  if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$SUDO" ]; }; then
    echo "installing chromium and chromium-driver (for tests/examples/test_web_page.py)"
    { $SUDO apt-get update -qq >/dev/null \
        && $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null; } \
      || echo "warning: could not install chromium; the web page test is skipped"
  else
    echo "note: cannot install chromium here (no apt-get or root); the web page test is skipped"
  fi
fi
# ---- end of the web page block ------------------------------------------------------------
echo "ready: .venv/bin/python train.py --help"
