#!/usr/bin/env bash
# Stop the daemons that tests/slurm/setup_slurm.sh started, by the pids it recorded; daemons it
# found already running are left alone. Idempotent: nothing recorded, nothing to do.
set -euo pipefail

STARTED=/run/slurm/started-by-setup
[[ -f $STARTED ]] || exit 0

while read -r name pid; do
  # only a live process of that name (a recorded pid may have been reused since)
  if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" == "$name" ]]; then
    echo "stop_slurm.sh: stopping $name (pid $pid)"
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
done < <(tac "$STARTED")  # the reverse order of starting: slurmd, slurmctld, munged
rm -f "$STARTED"
