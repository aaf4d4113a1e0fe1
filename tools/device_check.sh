#!/usr/bin/env bash
# GPU check of issue 17, one resumable script: install beside the machine's CUDA torch, benchmark
# the batched tools on the GPU, run the authors' protocol (full size, 1000 iterations or q <= 3)
# for Kim fixed mu=1, DynaSeg-SCF mu=50 and DynaSeg-FSF mu=15 on all 200 BSDS500 test images,
# and render docs/results_bsds500_faithful_all.md with 95% bootstrap intervals over images.
#
# Usage (from the repository root of a GPU machine, e.g. through the device tool's `run`):
#   bash tools/device_check.sh
#   carry: data/bsds500/images/test data/bsds500/groundTruth/test work_dirs/device_check
# Environment: DEADLINE_S (default 540: seconds this call may use), PYTHON (default python3),
#   OUT (default work_dirs/device_check/out: where results and the resume state are written);
#   for a smoke test on a CPU only: DEVICE=cpu, DATA (default data: holds bsds500/), and
#   SMOKE_OPTIONS='key=value ...' (config overrides of every run, e.g. narrow networks).
#   BENCH, REPORT, WORK: other paths for the benchmark JSON, the report and the work dirs.
#
# Resumable: a second call continues where the first stopped. Each stage is time-boxed within
# DEADLINE_S; the work dirs resume image by image. A fresh machine keeps nothing, so the state
# travels: each call writes $OUT/state_<config>.tar.gz (its predictions and records), and the
# next call unpacks every work_dirs/device_check/state/*.tar.gz first. After a call, copy
#   $OUT/state_*.tar.gz                    -> work_dirs/device_check/state/
#   $OUT/benchmark_gpu_h200_batched.json   -> docs/benchmarks/
#   $OUT/results_bsds500_faithful_all.md   -> docs/
# Nothing is chosen by hand: the batch size and precision of the canonical runs are the
# benchmark's `recommended_faithful` (the fastest batch size among the precisions whose labels
# agree with unbatched fp32 at least as well as the method's own noise floor).
# Exit code: 0 every stage finished; 3 some stage ran out of time (call again to continue);
# 1 some stage failed (its log is in $OUT/device_check.log; the later stages still ran).
set -uo pipefail
cd "$(dirname "$0")/.."
START=$(date +%s)
DEADLINE_S=${DEADLINE_S:-540}
PYTHON=${PYTHON:-python3}
DEVICE=${DEVICE:-cuda}
DATA=${DATA:-data}
read -r -a SMOKE <<<"${SMOKE_OPTIONS:-}"
OUT=${OUT:-work_dirs/device_check/out}
mkdir -p "$OUT" work_dirs/device_check/state
LOG="$OUT/device_check.log"
BENCH=${BENCH:-docs/benchmarks/benchmark_gpu_h200_batched.json}
REPORT=${REPORT:-docs/results_bsds500_faithful_all.md}
WORK=${WORK:-work_dirs/reproduce_faithful}
CONFIGS=(
  configs/kim/kim-fixed_cnn-m2_faithful_bsds500.py
  configs/dynaseg/dynaseg-scf_cnn-m2_faithful_bsds500.py
  configs/dynaseg/dynaseg-fsf_cnn-m2_faithful_bsds500.py
)
REPORT_RESERVE_S=120 # kept for scoring and the report at the end
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
STATUS=0
declare -a SUMMARY

left() { echo $((DEADLINE_S - ($(date +%s) - START))); }
log() { echo "[device_check $(($(date +%s) - START))s] $*" | tee -a "$LOG"; }
# stage NAME SECONDS COMMAND...: run COMMAND under `timeout`, record how it ended, never abort.
stage() {
  local name=$1 box=$2
  shift 2
  if [ "$box" -le 5 ]; then
    log "$name: skipped, no time left"
    SUMMARY+=("$name: no time")
    [ "$STATUS" -eq 0 ] && STATUS=3
    return 0
  fi
  log "$name: start (at most ${box}s): $*"
  timeout --signal=TERM --kill-after=20 "$box" "$@" >>"$LOG" 2>&1
  local rc=$?
  if [ $rc -eq 0 ]; then
    SUMMARY+=("$name: ok")
  elif [ $rc -eq 124 ] || [ $rc -eq 143 ] || [ $rc -eq 137 ]; then
    SUMMARY+=("$name: out of time (resumes next call)")
    [ "$STATUS" -eq 0 ] && STATUS=3
  else
    SUMMARY+=("$name: FAILED (exit $rc)")
    STATUS=1
  fi
  log "$name: exit $rc"
  return 0
}

# ---------------------------------------------------------------- state from earlier calls
for state in work_dirs/device_check/state/*.tar.gz; do
  [ -e "$state" ] && tar -xzf "$state" && log "unpacked $state"
done

# ---------------------------------------------------------------- 1. install (README: beside CUDA torch)
install_stack() {
  if "$PYTHON" -c "import mmcv._ext, mmseg.models, mmengine, torch; assert '$DEVICE' == 'cpu' or torch.cuda.is_available()" 2>/dev/null; then
    echo "stack already importable"
    return 0
  fi
  "$PYTHON" -m pip install --no-deps mmengine==0.10.7 mmsegmentation==1.2.2 addict yapf termcolor \
    platformdirs ftfy wcwidth prettytable setuptools==80.10.2 || return 1
  CUDA_VISIBLE_DEVICES= MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=16 CFLAGS=-g0 \
    "$PYTHON" -m pip install --no-build-isolation --no-deps mmcv==2.1.0 || return 1
  "$PYTHON" -c "import mmcv._ext, mmseg.models, dynaseg, torch; print('cuda', torch.cuda.is_available(), torch.__version__)"
}
export -f install_stack
export PYTHON DEVICE
stage install "$(($(left) < 240 ? $(left) : 240))" bash -c install_stack

# ---------------------------------------------------------------- 2. GPU benchmarks
bench_done() {
  "$PYTHON" - "$BENCH" <<'EOF'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
data = json.loads(path.read_text()) if path.is_file() else {}
sys.exit(0 if {'headline', 'recommended_faithful'} <= set(data) else 1)
EOF
}
if bench_done; then
  log "benchmark: done earlier ($BENCH)"
  SUMMARY+=("benchmark: done earlier")
else
  BOX=$(($(left) - REPORT_RESERVE_S - 120))
  BOX=$((BOX > 240 ? 240 : BOX))
  # --time-limit stops adding rows a little before the box ends; rows already there are kept.
  stage benchmark "$BOX" "$PYTHON" tools/benchmark_batched.py --tool --device "$DEVICE" \
    --data-root "$DATA/bsds500" --num-images 40 --headline-images 0 --tool-batch-sizes 8 32 64 \
    --precisions fp32 tf32 bf16 --check-every 10 --faithful-iters 30 \
    --time-limit $((BOX > 60 ? BOX - 45 : 15)) --out "$BENCH" ${SMOKE[@]:+--tool-options "${SMOKE[@]}"}
fi
cp -f "$BENCH" "$OUT/" 2>/dev/null

# ---------------------------------------------------------------- 3. canonical faithful table
read -r BATCH PRECISION < <("$PYTHON" - "$BENCH" <<'EOF'
import json, sys
from pathlib import Path
path = Path(sys.argv[1])
rec = (json.loads(path.read_text()) if path.is_file() else {}).get('recommended_faithful')
# Until the benchmark has chosen, no canonical run starts: its predictions would carry another
# model config (precision) than the later ones and could not be scored together.
print(rec['batch_size'], rec['precision']) if rec else print(0, 'none')
EOF
)
if [ "$BATCH" -eq 0 ]; then
  log "faithful runs: waiting for the benchmark's recommended_faithful (next call)"
  SUMMARY+=("faithful runs: not started (benchmark unfinished)")
  [ "$STATUS" -eq 0 ] && STATUS=3
  BATCH=1 PRECISION=fp32 CONFIGS_TO_RUN=()
else
  log "faithful runs: --batch-size $BATCH, model.precision=$PRECISION"
  CONFIGS_TO_RUN=("${CONFIGS[@]}")
fi
remaining=${#CONFIGS_TO_RUN[@]}
for config in "${CONFIGS_TO_RUN[@]}"; do
  stem=$(basename "$config" .py)
  BOX=$((($(left) - REPORT_RESERVE_S) / remaining))
  remaining=$((remaining - 1))
  stage "faithful $stem" "$BOX" "$PYTHON" tools/evaluate_config.py --config "$config" \
    --data-root "$DATA/bsds500" --work-dir "$WORK/$stem/test_all" --device "$DEVICE" \
    --batch-size "$BATCH" --cfg-options "model.precision=$PRECISION" ${SMOKE[@]:+"${SMOKE[@]}"}
done

# ---------------------------------------------------------------- 4. score what exists, render
MACHINE=$("$PYTHON" -c "import torch; print(f'1x {torch.cuda.get_device_name()}, torch {torch.__version__}')" 2>/dev/null || echo "$DEVICE")
stage report "$(($(left) > 10 ? $(left) : 10))" "$PYTHON" tools/reproduce.py --data-root "$DATA" \
  --work-dir "$WORK" --images 0 --only '*_cnn-m2_faithful_bsds500' --device "$DEVICE" \
  --batch-size "$BATCH" --cfg-options "model.precision=$PRECISION" ${SMOKE[@]:+"${SMOKE[@]}"} \
  --bootstrap 2000 --score-only --machine "$MACHINE" --output "$REPORT"
cp -f "$REPORT" "$OUT/" 2>/dev/null

# ---------------------------------------------------------------- state for the next call
for config in "${CONFIGS[@]}"; do
  stem=$(basename "$config" .py)
  [ -d "$WORK/$stem" ] && tar -czf "$OUT/state_$stem.tar.gz" "$WORK/$stem"
done
log "summary:"
for line in "${SUMMARY[@]}"; do log "  $line"; done
log "exit $STATUS (0 done, 3 call again to continue, 1 a stage failed: see $LOG)"
exit $STATUS
