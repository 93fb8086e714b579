#!/usr/bin/env bash
# A single-node SLURM cluster on loopback for the test suite (tests/SafetyNotebooks.Tests/Slurm): munge, slurmctld and
# slurmd, one node named after this host, no cgroups (proctrack/pgid, task/none), finished jobs recorded by
# jobcomp/filetxt. `start` returns at once when the cluster already answers; `stop` ends the daemons it started.
# A machine whose /etc/slurm/slurm.conf was not written by this script is a real cluster: it is left alone.
set -euo pipefail
# The daemons and /etc/slurm need root: a user run goes through sudo (without a password prompt).
[ "$(id -u)" -eq 0 ] || exec sudo -n bash "$0" "$@"
action="${1:-start}"
conf=/etc/slurm/slurm.conf
state=/var/lib/safetynb-slurm
marker="# written by safetynb .ci/services.d/slurm.sh"
timeout_s="${SAFETYNB_SLURM_START_TIMEOUT:-60}"

have() { command -v "$1" >/dev/null 2>&1; }
log() { echo "slurm.sh: $*" >&2; }

# Polls "$@" every 0.2 s until it succeeds, the daemon whose pid file is $2 dies (its log's tail is shown), or
# timeout_s passes (no fixed sleeps).
wait_for() {
  local what="$1" pidfile="$2" logfile="$3"; shift 3
  local deadline=$((SECONDS + timeout_s))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pidfile" ] && [ -f "$pidfile" ] && ! pid_alive "$pidfile"; then
      log "$what exited; the end of $logfile:"; tail -5 "$logfile" >&2 || true; return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then log "$what did not come up within ${timeout_s}s (see $logfile)"; return 1; fi
    sleep 0.2
  done
}

node_idle() { sinfo -h -N -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; }
pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_conf() {
  local node cpus mem
  node="$(hostname -s)"
  cpus="${SAFETYNB_SLURM_CPUS:-16}"   # declared, not detected (config_overrides): array tasks may share the cores
  mem="${SAFETYNB_SLURM_MEM_MB:-16000}"
  mkdir -p /etc/slurm "$state/ctld" "$state/d" "$state/log" "$state/gpu"
  # Stand-in device files for the node's 8 GPUs (links to /dev/null: slurmd wants character devices); the gres/gpu
  # plugin numbers them from their trailing digits, which is what it writes into CUDA_VISIBLE_DEVICES.
  for i in 0 1 2 3 4 5 6 7; do ln -sfn /dev/null "$state/gpu/nvidia$i"; done
  cat > /etc/slurm/gres.conf.new <<EOF
$marker
NodeName=$node Name=gpu File=$state/gpu/nvidia[0-7]
EOF
  cat > "$conf.new" <<EOF
$marker
ClusterName=safetynb
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$state/log/jobcomp.txt
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
GresTypes=gpu
MailProg=/bin/true
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=3600
MaxArraySize=10001
KillWait=5
SchedulerParameters=sched_interval=2
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/d
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=60
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:8 State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  mv /etc/slurm/gres.conf.new /etc/slurm/gres.conf
  mv "$conf.new" "$conf"
}

start() {
  for b in munged slurmctld slurmd sinfo scontrol; do
    have "$b" || { log "$b is missing (Debian packages munge, slurm-wlm; see .ci/apt-packages)"; return 1; }
  done
  if [ -f "$conf" ] && ! grep -qF "$marker" "$conf"; then
    log "$conf belongs to another cluster; not starting a test cluster"; return 0
  fi
  if scontrol ping >/dev/null 2>&1 && node_idle; then return 0; fi
  # Several test runs may start at once: one starts the cluster, the others find it up.
  exec 8>/tmp/safetynb-slurm.lock
  flock 8
  if scontrol ping >/dev/null 2>&1 && node_idle; then return 0; fi
  write_conf

  if ! pid_alive /run/munge/munged.pid; then
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    [ -f /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=128 of=/etc/munge/munge.key 2>/dev/null; chmod 600 /etc/munge/munge.key; }
    chown -R munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge 2>/dev/null || true
    if id munge >/dev/null 2>&1; then
      runuser -u munge -- munged
    else
      munged --force
    fi
  fi
  wait_for munged /run/munge/munged.pid /var/log/munge/munged.log munge -n

  pid_alive "$state/slurmctld.pid" || { rm -f "$state/slurmctld.pid"; slurmctld; }
  wait_for slurmctld "$state/slurmctld.pid" "$state/log/slurmctld.log" scontrol ping
  pid_alive "$state/slurmd.pid" || { rm -f "$state/slurmd.pid"; slurmd; }
  wait_for "the node" "$state/slurmd.pid" "$state/log/slurmd.log" node_idle
  # A node left DOWN by an earlier, killed slurmd comes back here.
  scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
  log "cluster up: $(sinfo -h -o '%P %D %t' | tr '\n' ' ')"
}

stop() {
  for p in slurmd slurmctld; do
    pid_alive "$state/$p.pid" && kill "$(cat "$state/$p.pid")" || true
  done
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
