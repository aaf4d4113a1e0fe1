#!/usr/bin/env bash
# Segment a folder on a Slurm cluster: GPUS tasks (srun), each taking every GPUS-th image.
#
# Usage: tools/slurm_segment.sh PARTITION JOB_NAME INPUT OUTPUT [tool args...]
#   (pass --config FILE and --device cuda among the tool args as needed)
# Environment: GPUS (4) tasks in all, GPUS_PER_NODE (4; 0 = CPU-only, no --gres),
#              CPUS_PER_TASK (5), SRUN_ARGS (extra srun arguments), PYTHON (python).
set -euo pipefail

if [ "$#" -lt 4 ]; then
    sed -n '2,7p' "$0" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
INPUT=$3
OUTPUT=$4
shift 4
GPUS=${GPUS:-4}
GPUS_PER_NODE=${GPUS_PER_NODE:-4}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
PYTHON=${PYTHON:-python}
TOOLS=$(cd "$(dirname "$0")" && pwd)

GRES_ARGS=()
TASKS_PER_NODE=$GPUS
if [ "$GPUS_PER_NODE" -gt 0 ]; then
    GRES_ARGS=(--gres="gpu:$GPUS_PER_NODE")
    TASKS_PER_NODE=$GPUS_PER_NODE
fi

# SRUN_ARGS is split on spaces on purpose: it holds several srun options.
# shellcheck disable=SC2086
PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    "${GRES_ARGS[@]}" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$TASKS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${SRUN_ARGS} \
    "$PYTHON" -u "$TOOLS/DynaSeg_SCF_BSD_VOC.py" \
    --input-folder "$INPUT" \
    --work-dir "$OUTPUT" \
    --launcher slurm "$@"
