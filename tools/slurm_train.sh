#!/usr/bin/env bash
# Usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...] bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR [train.py options]
# On a partition without GPUs set GPUS_PER_NODE=0 and GPUS to the number of tasks (gloo on the CPU).
exec bash "$(dirname "$0")/slurm_launch.sh" "$1" "$2" train.py "$3" --work-dir="$4" "${@:5}"
