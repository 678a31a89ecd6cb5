#!/usr/bin/env bash
# Start a single-node Slurm cluster on this machine (node `localhost`, partition `debug`)
# so that tools/slurm_train.sh can be tested against a real srun.
#
# Idempotent: installs slurm-wlm and munge with apt-get only when they are missing, rewrites
# /etc/slurm/slurm.conf only when it changes (restarting the daemons then; a slurm.conf this
# script did not write is never overwritten), and starts munged,
# slurmctld and slurmd only when they are not answering. There is no systemd here, so the
# daemons are started directly. No cgroups: proctrack/linuxproc and task/none.
# Exits 0 once `sinfo` shows the node idle; 3 when Slurm is missing and cannot be installed here
# (not root, no apt-get, apt-get failing); 1 on any other failure. The reason goes to stderr.
# Every daemon it starts is listed ("name pid") in $STARTED, so that tests/slurm/stop_slurm.sh
# stops exactly those (.ci/run does at the end of the run).
set -euo pipefail

CONF_DIR=/etc/slurm
CONF=$CONF_DIR/slurm.conf
STATE_DIR=/var/lib/slurm/slurmctld
SPOOL_DIR=/var/lib/slurm/slurmd
LOG_DIR=/var/log/slurm
RUN_DIR=/run/slurm
PARTITION=debug
NODE=localhost
WAIT_SECONDS=${SLURM_SETUP_WAIT:-60}
MARKER='# Written by tests/slurm/setup_slurm.sh'  # first line of the slurm.conf written here
STARTED=$RUN_DIR/started-by-setup  # "name pid" of each daemon started here

die() { echo "setup_slurm.sh: $*" >&2; exit 1; }
cannot_install() { echo "setup_slurm.sh: $*" >&2; exit 3; }
say() { echo "setup_slurm.sh: $*"; }

install_packages() {
  local missing=()
  for cmd in slurmctld slurmd srun sinfo munged; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  local why="Slurm is not installed (missing: ${missing[*]})"
  [[ $(id -u) -eq 0 ]] || cannot_install "$why and installing it needs root"
  command -v apt-get >/dev/null 2>&1 || cannot_install "$why and apt-get is not available"
  say "installing slurm-wlm and munge with apt-get (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  local log=/tmp/setup_slurm_apt.log
  apt-get update </dev/null >$log 2>&1 || cannot_install "apt-get update failed; see $log"
  apt-get install -y --no-install-recommends slurm-wlm munge </dev/null >>$log 2>&1 \
    || cannot_install "apt-get install slurm-wlm munge failed; see $log"
}

start_munge() {
  if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then return 0; fi
  if [[ ! -s /etc/munge/munge.key ]]; then
    say "creating the munge key"
    mungekey --create --keyfile=/etc/munge/munge.key
  fi
  chown munge:munge /etc/munge /etc/munge/munge.key
  chmod 0700 /etc/munge
  chmod 0400 /etc/munge/munge.key
  mkdir -p /run/munge /var/lib/munge /var/log/munge
  chown munge:munge /run/munge /var/lib/munge /var/log/munge
  say "starting munged"
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 20); do
    if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
      record_started munged /run/munge/munged.pid
      return 0
    fi
    sleep 0.5
  done
  die "munged does not answer (munge -n | unmunge fails); see /var/log/munge/munged.log"
}

write_conf() {
  # the node line as slurmd detects the hardware, renamed to `localhost`
  local hw
  hw=$(/usr/sbin/slurmd -C | head -n 1 | sed -E 's/^NodeName=[^ ]+ //')
  [[ $hw == CPUs=* ]] || die "could not read the node hardware from 'slurmd -C': $hw"
  local new
  new=$(cat <<EOF
$MARKER: one node, no cgroups, no accounting.
ClusterName=vireid-test
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
ReturnToService=2
StateSaveLocation=$STATE_DIR
SlurmdSpoolDir=$SPOOL_DIR
SlurmctldPidFile=$RUN_DIR/slurmctld.pid
SlurmdPidFile=$RUN_DIR/slurmd.pid
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$NODE NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=$PARTITION Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
)
  mkdir -p "$CONF_DIR" "$STATE_DIR" "$SPOOL_DIR" "$LOG_DIR" "$RUN_DIR"
  if [[ -f $CONF ]] && [[ "$(cat "$CONF")" == "$new" ]]; then return 1; fi
  if [[ -f $CONF ]] && [[ "$(head -n 1 "$CONF")" != "$MARKER"* ]]; then
    die "$CONF exists and was not written by this script (a real cluster's?): refusing to" \
      "overwrite it; run the Slurm test on a machine without its own Slurm configuration"
  fi
  say "writing $CONF"
  printf '%s\n' "$new" >"$CONF"
  return 0
}

# stop a daemon this script started, by the pid in its pid file
stop_daemon() {
  local pidfile=$RUN_DIR/$1.pid
  [[ -f $pidfile ]] || return 0
  local pid
  pid=$(cat "$pidfile")
  if daemon_alive "$1"; then
    say "stopping $1 (pid $pid) to apply the new configuration"
    kill "$pid"
    for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pidfile"
}

# true when the pid file names a live process of that daemon (not a reused pid)
daemon_alive() {
  local pidfile=$RUN_DIR/$1.pid
  [[ -f $pidfile ]] && [[ "$(cat "/proc/$(cat "$pidfile")/comm" 2>/dev/null)" == "$1" ]]
}

# append "name pid" to $STARTED once the daemon has written its pid file
record_started() {
  local name=$1 pidfile=$2
  for _ in $(seq 20); do
    if [[ -s $pidfile ]]; then
      mkdir -p "$RUN_DIR"
      echo "$name $(cat "$pidfile")" >>"$STARTED"
      return 0
    fi
    sleep 0.5
  done
  die "$name started but wrote no pid file $pidfile"
}

start_slurm() {
  if ! daemon_alive slurmctld; then
    say "starting slurmctld"
    /usr/sbin/slurmctld || die "slurmctld did not start; see $LOG_DIR/slurmctld.log"
    record_started slurmctld "$RUN_DIR/slurmctld.pid"
  fi
  if ! daemon_alive slurmd; then
    say "starting slurmd"
    /usr/sbin/slurmd -N "$NODE" || die "slurmd did not start; see $LOG_DIR/slurmd.log"
    record_started slurmd "$RUN_DIR/slurmd.pid"
  fi
}

wait_idle() {
  local state=""
  for _ in $(seq $((WAIT_SECONDS * 2))); do
    state=$(sinfo -h -p "$PARTITION" -n "$NODE" -o '%T' 2>/dev/null || true)
    case $state in
      idle|mixed|allocated) say "node $NODE is $state in partition $PARTITION"; return 0 ;;
      down*|drain*)
        # e.g. after a restart: the node was marked down while slurmd was away
        scontrol update NodeName="$NODE" State=RESUME >/dev/null 2>&1 || true ;;
    esac
    sleep 0.5
  done
  die "node $NODE is not idle after ${WAIT_SECONDS}s (state: '${state:-no answer}');" \
    "see $LOG_DIR/slurmctld.log and $LOG_DIR/slurmd.log"
}

export PATH=$PATH:/usr/sbin:/sbin
install_packages
if [[ $(id -u) -ne 0 ]]; then
  # without root the daemons can only be used, not configured or started
  wait_idle
  exit 0
fi
start_munge
if write_conf; then
  stop_daemon slurmd
  stop_daemon slurmctld
fi
start_slurm
wait_idle
