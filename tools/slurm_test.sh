#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_test.sh PARTITION JOB_NAME CONFIG CHECKPOINT [test.py options]
# On a partition without GPUs set GPUS_PER_NODE=0 and GPUS to the number of tasks (gloo on the CPU).
set -x
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
CHECKPOINT=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
DIR=$(cd "$(dirname "$0")" && pwd)
if [[ -x "$DIR/../.venv/bin/python" ]]; then PYTHON=${PYTHON:-$DIR/../.venv/bin/python}; fi
PYTHON=${PYTHON:-python}
if [[ "$GPUS_PER_NODE" -gt 0 ]]; then
  GRES="--gres=gpu:${GPUS_PER_NODE}"
  TASKS_PER_NODE=$GPUS_PER_NODE
else
  GRES=""
  TASKS_PER_NODE=$GPUS
fi

PYTHONPATH="$DIR/..":${PYTHONPATH:-} \
srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    $GRES \
    --ntasks="$GPUS" \
    --ntasks-per-node="$TASKS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    $SRUN_ARGS \
    "$PYTHON" -u "$DIR/test.py" "$CONFIG" "$CHECKPOINT" --launcher="slurm" "${@:5}"
