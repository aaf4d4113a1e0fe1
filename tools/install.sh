#!/usr/bin/env bash
# Create .venv and install the pinned stack, mmcv with its compiled ops, and dynaseg (editable).
# Idempotent: every step is skipped when already satisfied. Usage: tools/install.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check -q)
# setuptools < 81 first: mmcv's setup.py imports pkg_resources.
"${PIP[@]}" install -r requirements.txt
if [ "${1:-}" = "--dev" ]; then
  "${PIP[@]}" install -r requirements-dev.txt
fi
if ! "$PY" -c "import mmcv._ext" 2>/dev/null; then
  echo "Building mmcv 2.1.0 with CPU ops (about 4 minutes the first time; pip caches the wheel)..."
  MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-2} CFLAGS=-g0 \
    "${PIP[@]}" install --no-build-isolation --no-deps mmcv==2.1.0
fi
if ! "$PY" -c "import dynaseg" 2>/dev/null || [ ! -d dynaseg.egg-info ]; then
  "${PIP[@]}" install --no-build-isolation --no-deps -e .
fi
"$PY" -c "import mmcv._ext, mmseg.models, dynaseg; print('dynaseg', dynaseg.__version__, 'installed in', '$VENV')"
