#!/usr/bin/env bash
# Segment a folder with GPUS processes on this node (torchrun), each taking every GPUS-th image.
#
# Usage: tools/dist_segment.sh CONFIG GPUS INPUT OUTPUT [tool args...]
#   CONFIG  a config file or name, or '' / '-' for the default config
#   GPUS    processes per node (one per GPU with --device cuda; CPU processes otherwise)
# Environment: NNODES (1), NODE_RANK (0), PORT (29500), MASTER_ADDR (127.0.0.1),
#              PYTHON (python): the interpreter that has dynaseg installed.
# Example: tools/dist_segment.sh '' 2 images/ out/ --threads 1
set -euo pipefail

if [ "$#" -lt 4 ]; then
    sed -n '2,9p' "$0" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
INPUT=$3
OUTPUT=$4
shift 4
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}
TOOLS=$(cd "$(dirname "$0")" && pwd)

CONFIG_ARGS=()
if [ -n "$CONFIG" ] && [ "$CONFIG" != "-" ]; then
    CONFIG_ARGS=(--config "$CONFIG")
fi

PYTHONPATH="$TOOLS/..${PYTHONPATH:+:$PYTHONPATH}" \
exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$TOOLS/DynaSeg_SCF_BSD_VOC.py" \
    --input-folder "$INPUT" \
    --work-dir "$OUTPUT" \
    "${CONFIG_ARGS[@]}" \
    --launcher pytorch "$@"
