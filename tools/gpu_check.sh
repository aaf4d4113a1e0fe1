#!/usr/bin/env bash
# The GPU numbers of the docs, on any machine with an NVIDIA GPU and a CUDA build of torch:
#   install    mmengine, mmsegmentation, mmcv (CPU ops) and dynaseg beside the CUDA torch, with the
#              README's lines (skipped when the stack already imports);
#   benchmark  tools/benchmark.py on the GPU          -> docs/benchmarks/benchmark_gpu_<gpu>.json
#   batched    tools/benchmark_batched.py --tool: batch sizes and precisions on real images
#                                                     -> docs/benchmarks/benchmark_gpu_<gpu>_batched.json
#              (its recommended_faithful entry sets the batch size and precision of the next step);
#   faithful   the authors' protocol (full size, 1000 iterations or q <= 3) for Kim fixed mu=1,
#              DynaSeg-SCF and DynaSeg-FSF on all 200 BSDS500 test images, with 95% bootstrap
#              intervals over images                  -> docs/results/authors_settings_bsds500_faithful_all.md
#              (and each run's result, per-image scores included, in docs/results/results/)
#
# Usage:  bash tools/gpu_check.sh DATA_ROOT [STEP ...]   (DATA_ROOT holds bsds500/; default: all steps)
# Environment: PYTHON (default python3), DEVICE (default cuda), IMAGES (test images of the faithful
#   step, default 0 = all 200), DOCS (where the JSON and the report go, default docs), WORK (work
#   dirs, default work_dirs/gpu_check), SMOKE=1 (tiny networks and budgets: checks the script, e.g.
#   with DEVICE=cpu DOCS=work_dirs/gpu_smoke, not the numbers).
# Resumable: rerun the same command, or name the steps left (e.g. `faithful`): the faithful runs
# skip the images already segmented, the batched benchmark keeps the rows already in its JSON.
# Time: the authors' loop at full size takes 4-9 s per image and config on one H200
# (docs/reproduction.md), i.e. 40-90 minutes for the faithful step's 600 image runs unbatched.
set -euo pipefail
if [ $# -lt 1 ]; then
  sed -n '2,22p' "$0" >&2
  exit 2
fi
DATA=$(cd "$1" && pwd) # absolute, because the tools run from the repository root
shift
ALL_STEPS=(install benchmark batched faithful)
STEPS=("${@:-${ALL_STEPS[@]}}")
for step in "${STEPS[@]}"; do
  if [[ " ${ALL_STEPS[*]} " != *" $step "* ]]; then
    echo "error: unknown step '$step' (steps: ${ALL_STEPS[*]})" >&2
    exit 2
  fi
done
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
IMAGES=${IMAGES:-0}
DOCS=${DOCS:-docs}
WORK=${WORK:-work_dirs/gpu_check}
# The tools import dynaseg from this checkout whether or not it was pip-installed, and find the
# datasets under DATA_ROOT (the benchmarks read bsds500/ there by default).
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" DYNASEG_DATA_ROOT="$DATA"
log() { echo "[gpu_check] $*" >&2; }
runs() { [[ " ${STEPS[*]} " == *" $1 "* ]]; }

if [ ! -d "$DATA/bsds500/images/test" ]; then
  log "error: $DATA/bsds500/images/test does not exist (DATA_ROOT is the folder holding bsds500/)"
  exit 2
fi
if [ "${SMOKE:-0}" = 1 ]; then
  TINY=(model.backbone.channels=8 model.backbone.out_channels=8)
  BENCH=(--parts per-iter --per-iter-scale 0.1 --per-iter-iters 2 --repeats 1 --image-ids 100007)
  BATCHED=(--images 2 --headline-images 2 --tool-batch-sizes 2 --precisions fp32
    --faithful-iters 2 --tool-options "${TINY[@]}")
  FAITHFUL=("${TINY[@]}" model.schedule.max_iters=2 model.schedule.max_pixels=4000)
else
  BENCH=(--parts per-iter agreement whole memory --per-iter-iters 20 --repeats 5)
  BATCHED=(--images 40 --headline-images 0 --tool-batch-sizes 8 32 64
    --precisions fp32 tf32 bf16 --check-every 10 --faithful-iters 30)
  FAITHFUL=()
fi

if runs install; then
  if "$PYTHON" -c 'import mmcv._ext, mmseg.models, mmengine, higra, pycocotools' 2>/dev/null; then
    log "install: the stack already imports"
  else
    log "install: beside $("$PYTHON" -c 'import torch; print("torch", torch.__version__)')"
    "$PYTHON" -m pip install --no-deps mmengine==0.10.7 mmsegmentation==1.2.2 addict yapf \
      termcolor platformdirs ftfy wcwidth prettytable setuptools==80.10.2 higra==0.6.13 \
      pycocotools==2.0.11
    CUDA_VISIBLE_DEVICES='' MMCV_WITH_OPS=1 FORCE_CUDA=0 \
      "$PYTHON" -m pip install --no-build-isolation --no-deps mmcv==2.1.0
    "$PYTHON" -m pip install --no-build-isolation --no-deps -e .
  fi
fi

# The GPU's name, for file names (e.g. h200) and for the report's machine line.
GPU=$("$PYTHON" - "$DEVICE" <<'EOF'
import platform, re, sys
import torch
if sys.argv[1] == 'cuda' and not torch.cuda.is_available():
    sys.exit('error: torch sees no GPU (DEVICE=cpu is for SMOKE=1 runs only)')
gpu = torch.cuda.get_device_name() if sys.argv[1] == 'cuda' else 'cpu'
name = re.sub('[^a-z0-9]+', '-', gpu.lower().replace('nvidia', '')).strip('-')
print(name, f'1x {gpu}, torch {torch.__version__}, Python {platform.python_version()}')
EOF
)
read -r NAME MACHINE <<<"$GPU"
BENCH_JSON=$DOCS/benchmarks/benchmark_gpu_$NAME.json
BATCHED_JSON=$DOCS/benchmarks/benchmark_gpu_${NAME}_batched.json
mkdir -p "$DOCS/benchmarks" "$WORK"

if runs benchmark; then
  log "benchmark -> $BENCH_JSON"
  "$PYTHON" tools/benchmark.py --device "$DEVICE" "${BENCH[@]}" \
    --cache "$WORK/benchmark_cache" --out "$BENCH_JSON"
fi

if runs batched; then
  log "batched -> $BATCHED_JSON"
  "$PYTHON" tools/benchmark_batched.py --tool --device "$DEVICE" "${BATCHED[@]}" \
    --out "$BATCHED_JSON"
fi

if runs faithful; then
  # Nothing chosen by hand: the fastest batch size and precision whose labels agree with
  # unbatched fp32 at least as well as the method's own noise floor.
  SETTING=$("$PYTHON" - "$BATCHED_JSON" <<'EOF'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
rec = json.loads(path.read_text()).get('recommended_faithful') if path.is_file() else None
if not rec:
    sys.exit(f'error: no recommended_faithful in {path}: run the batched step first')
print(rec['batch_size'], rec['precision'])
EOF
  )
  read -r BATCH PRECISION <<<"$SETTING"
  log "faithful: --batch-size $BATCH, model.precision=$PRECISION -> $DOCS/results/authors_settings_bsds500_faithful_all.md"
  "$PYTHON" tools/reproduce.py --data-root "$DATA" --work-dir "$WORK/reproduce" \
    --images "$IMAGES" --only '*_cnn-m2_faithful_bsds500' --device "$DEVICE" \
    --batch-size "$BATCH" --cfg-options "model.precision=$PRECISION" "${FAITHFUL[@]}" \
    --bootstrap 1000 --machine "$MACHINE" --output "$DOCS/results/authors_settings_bsds500_faithful_all.md"
fi
log "done: ${STEPS[*]}"
