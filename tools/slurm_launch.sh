#!/usr/bin/env bash
# Shared by slurm_train.sh and slurm_test.sh: run a tool as one Slurm task per GPU.
# Usage: bash tools/slurm_launch.sh PARTITION JOB_NAME TOOL.py [tool arguments]
# Environment: GPUS (tasks, default 8), GPUS_PER_NODE (default 8; 0 on a partition without GPUs,
# where the GPUS tasks train on the CPU over gloo), CPUS_PER_TASK (default 5), SRUN_ARGS, PYTHON.
set -x
PARTITION=$1
JOB_NAME=$2
TOOL=$3
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-8}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
SRUN_ARGS=${SRUN_ARGS:-""}
DIR=$(cd "$(dirname "$0")" && pwd)
# the repository's venv when `make install` created it
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
    "$PYTHON" -u "$DIR/$TOOL" "${@:4}" --launcher=slurm
