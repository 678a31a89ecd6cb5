#!/usr/bin/env bash
# Usage: bash tools/dist_train.sh CONFIG NPROC [train.py options]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON (see dist_launch.sh).
exec bash "$(dirname "$0")/dist_launch.sh" "$2" train.py "$1" "${@:3}"
