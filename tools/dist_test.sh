#!/usr/bin/env bash
# Usage: bash tools/dist_test.sh CONFIG CHECKPOINT NPROC [test.py options]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON (see dist_launch.sh).
exec bash "$(dirname "$0")/dist_launch.sh" "$3" test.py "$1" "$2" "${@:4}"
