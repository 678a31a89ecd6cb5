#!/usr/bin/env bash
# Shared by dist_train.sh and dist_test.sh: run a tool under torchrun on this machine.
# Usage: bash tools/dist_launch.sh NPROC TOOL.py [tool arguments]
# Environment: NNODES, NODE_RANK, PORT, MASTER_ADDR, PYTHON. Without CUDA the processes use gloo.
NPROC=$1
TOOL=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
DIR=$(cd "$(dirname "$0")" && pwd)
# the repository's venv when `make install` created it
if [[ -x "$DIR/../.venv/bin/python" ]]; then PYTHON=${PYTHON:-$DIR/../.venv/bin/python}; fi
PYTHON=${PYTHON:-python}

PYTHONPATH="$DIR/..":${PYTHONPATH:-} \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$DIR/$TOOL" "${@:3}" --launcher pytorch
