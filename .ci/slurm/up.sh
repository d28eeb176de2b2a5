#!/usr/bin/env bash
# Bring up a real single-node SLURM cluster on this machine, by hand (no systemd), everything
# under one state directory:
#   MariaDB -> munged -> slurmdbd (+ cluster, account `ci`, user) -> slurmctld -> slurmd
#
#   bash .ci/slurm/up.sh STATE_DIR      then: export SLURM_CONF=STATE_DIR/etc/slurm.conf
#   bash .ci/slurm/down.sh STATE_DIR    stops every daemon started here, by PID
#
# Nothing is written outside STATE_DIR (no /run/munge, /var/lib/mysql, /var/spool/slurm) but
# one symlink, /etc/slurm/slurm.conf (see below; refused where a slurm.conf exists, removed by
# down.sh): commands find the cluster through $SLURM_CONF, munge through AuthInfo=socket=...;
# every daemon listens on 127.0.0.1 only. The daemons' PIDs go to STATE_DIR/pids ("name pid" lines, in start
# order). Exit 0 once `sinfo` shows the node idle; on any failure the daemons already started
# are stopped (down.sh) and the end of each log is printed.
#
# Ports (loopback only) can be moved when the defaults are taken:
#   SLURM_CI_CTLD_PORT=6817 SLURM_CI_SLURMD_PORT=6818 SLURM_CI_DBD_PORT=6819 SLURM_CI_DB_PORT=3307
# SLURM_CI_KEEP_ON_FAILURE=1 leaves the daemons running after a failed start, to debug them.
# Facts this relies on (Debian 12, Slurm 22.05): see issue 9 and docs/cluster.md.
set -euo pipefail
PATH="$PATH:/usr/sbin:/sbin"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ $# -ne 1 ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
if [ "$(id -u)" != 0 ]; then
  echo "SLURM up: must run as root (starts munged/mysqld as their users, slurmd as root)" >&2
  exit 2
fi
mkdir -p "$1"
STATE="$(cd "$1" && pwd)"
CTLD_PORT="${SLURM_CI_CTLD_PORT:-6817}"
SLURMD_PORT="${SLURM_CI_SLURMD_PORT:-6818}"
DBD_PORT="${SLURM_CI_DBD_PORT:-6819}"
DB_PORT="${SLURM_CI_DB_PORT:-3307}"
CLUSTER=fusioncheck-ci
ACCOUNT=ci
PARTITION=ci
T0=$EPOCHREALTIME

log() { printf 'SLURM up [%5.1fs]: %s\n' "$(awk "BEGIN{print $EPOCHREALTIME - $T0}")" "$*"; }

on_error() {
  local rc=$?
  trap - ERR INT TERM HUP PIPE
  [ "$rc" -ne 0 ] || rc=1
  echo "SLURM up: FAILED (exit $rc) at line ${BASH_LINENO[0]}; logs:" >&2
  local f
  for f in "$STATE"/log/* "$STATE"/mysql/mariadbd.log "$STATE"/munge/munged.log; do
    [ -s "$f" ] || continue
    echo "----- $f (last 30 lines)" >&2
    tail -n 30 "$f" >&2
  done
  if [ -n "${SLURM_CI_KEEP_ON_FAILURE:-}" ]; then
    echo "SLURM up: SLURM_CI_KEEP_ON_FAILURE set: daemons left running for a look;" \
      "stop them with: bash $HERE/down.sh $STATE" >&2
  else
    bash "$HERE/down.sh" "$STATE" >&2 || true
  fi
  exit "$rc"
}
trap on_error ERR
# Killed half-way (timeout, Ctrl-C, a closed pipe): stop what was started, too.
trap 'trap - PIPE; on_error' INT TERM HUP PIPE

# wait_for SECONDS DESCRIPTION COMMAND...: poll COMMAND every 0.2 s until it succeeds; give up
# at once when the daemon started last has died (its log says why).
wait_for() {
  local secs="$1" what="$2"
  shift 2
  local deadline=$(($(date +%s) + secs))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$LAST_PID" 2>/dev/null || grep -q '^State:.*zombie' "/proc/$LAST_PID/status"; then
      echo "SLURM up: $what: $LAST_NAME ($LAST_PID) exited during start-up" >&2
      return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "SLURM up: $what not ready after ${secs}s" >&2
      return 1
    fi
    sleep 0.2
  done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for port in "$CTLD_PORT" "$SLURMD_PORT" "$DBD_PORT" "$DB_PORT"; do
  if ! port_free "$port"; then
    echo "SLURM up: port $port on 127.0.0.1 is taken (another cluster still up? run down.sh," \
      "or move it with SLURM_CI_*_PORT)" >&2
    exit 1
  fi
done
if [ -s "$STATE/pids" ]; then
  echo "SLURM up: $STATE/pids exists: a cluster from this directory may still run (down.sh)" >&2
  exit 1
fi

# Daemons run as their own users (munge, mysql) and must reach their directories.
chmod 755 "$STATE"
mkdir -p "$STATE"/{etc,log,run,ctld,spool,munge,mysql}
# MariaDB writes its own socket and error log, as user mysql, into its data directory.
chown munge:munge "$STATE/munge"
chmod 755 "$STATE/munge"
chown mysql:mysql "$STATE/mysql"
touch "$STATE/pids"

# start NAME COMMAND...: run a daemon in the foreground of its own session, record its PID.
# (setsid execs in place here, so $! is the daemon itself; a terminal's Ctrl-C does not reach it
# before down.sh does.)
start() {
  local name="$1"
  shift
  setsid "$@" >>"$STATE/log/$name.out" 2>&1 </dev/null &
  LAST_PID=$! LAST_NAME="$name"
  echo "$name $LAST_PID" >>"$STATE/pids"
}

# --- MariaDB, private data directory, loopback TCP only --------------------------------------
log "MariaDB: initialising $STATE/mysql"
mariadb-install-db --no-defaults --user=mysql --datadir="$STATE/mysql" --skip-test-db \
  --auth-root-authentication-method=socket >"$STATE/log/mariadb-install-db.log" 2>&1
start mariadbd mariadbd --no-defaults --user=mysql --datadir="$STATE/mysql" \
  --socket="$STATE/mysql/mysqld.sock" --pid-file="$STATE/mysql/mysqld.pid" \
  --bind-address=127.0.0.1 --port="$DB_PORT" --log-error="$STATE/mysql/mariadbd.log" \
  --innodb-buffer-pool-size=128M --innodb-log-file-size=64M --innodb-lock-wait-timeout=900 \
  --skip-name-resolve
wait_for 60 MariaDB mariadb-admin --no-defaults --socket="$STATE/mysql/mysqld.sock" -uroot ping
DB_PASS="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
mariadb --no-defaults --socket="$STATE/mysql/mysqld.sock" -uroot <<SQL
CREATE USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
CREATE DATABASE slurm_acct_db;
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
SQL
log "MariaDB: up on 127.0.0.1:$DB_PORT"

# --- munge: a fresh key for this cluster only -----------------------------------------------
mungekey --create --keyfile="$STATE/munge/munge.key" --force
chown munge:munge "$STATE/munge/munge.key"
chmod 400 "$STATE/munge/munge.key"
MUNGE_SOCKET="$STATE/munge/munge.socket"
start munged setpriv --reuid=munge --regid=munge --init-groups \
  munged --foreground --key-file="$STATE/munge/munge.key" --socket="$MUNGE_SOCKET" \
  --pid-file="$STATE/munge/munged.pid" --seed-file="$STATE/munge/munged.seed" \
  --log-file="$STATE/munge/munged.log"
munge_roundtrip() { munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET"; }
wait_for 20 munged munge_roundtrip
log "munged: up"

# --- configuration ----------------------------------------------------------------------------
# The node's real hardware, as slurmd sees it, under the name the node registers with.
HW="$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //')"
cat >"$STATE/etc/slurm.conf" <<CONF
# Single-node CI cluster written by .ci/slurm/up.sh; not a template for a real site.
ClusterName=$CLUSTER
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
# Listen on the node's address (127.0.0.1) only, not on every interface.
CommunicationParameters=NoInAddrAny
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool
SlurmctldPidFile=$STATE/run/slurmctld.pid
SlurmdPidFile=$STATE/run/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
# No cgroups here: track processes through /proc, bind no tasks.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
# Cores and memory are the consumables; a job without --mem gets DefMemPerCPU, not the node.
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1000
SchedulerType=sched/backfill
ReturnToService=2
# Finished jobs stay visible to squeue/scontrol for 5 minutes (the squeue fallback needs it).
MinJobAge=300
# Accounting through slurmdbd, so that sacct answers (the plugin polls it for job states).
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=$DBD_PORT
# Connections to slurmdbd authenticate through this munge socket, not AuthInfo's.
AccountingStoragePass=$MUNGE_SOCKET
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=30
JobCompType=jobcomp/none
NodeName=localhost NodeAddr=127.0.0.1 $HW State=UNKNOWN
PartitionName=$PARTITION Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
cat >"$STATE/etc/slurmdbd.conf" <<CONF
# slurmdbd of the CI cluster written by .ci/slurm/up.sh.
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=$DBD_PORT
CommunicationParameters=NoInAddrAny
SlurmUser=root
LogFile=$STATE/log/slurmdbd.log
PidFile=$STATE/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
CONF
chmod 600 "$STATE/etc/slurmdbd.conf"
# Every slurm command and daemon below reads this (slurmdbd.conf is found beside it).
export SLURM_CONF="$STATE/etc/slurm.conf"
printf 'export SLURM_CONF=%q\n' "$SLURM_CONF" >"$STATE/env"
# ... except srun inside a Snakemake job: the jobstep plugin drops every SLURM_* variable
# (SLURM_CONF too) before it calls srun, which then looks only at the default path. So the
# default path must lead here: a symlink, made only where no slurm.conf exists (or where a
# symlink from an earlier run of this script points to a cluster that is gone), and removed by
# down.sh. A machine with a real /etc/slurm/slurm.conf is refused rather than changed.
DEFAULT_CONF=/etc/slurm/slurm.conf
if [ -L "$DEFAULT_CONF" ] && [ ! -e "$DEFAULT_CONF" ] \
  && [[ "$(readlink "$DEFAULT_CONF")" == */etc/slurm.conf ]]; then
  rm -f "$DEFAULT_CONF"
fi
if [ -e "$DEFAULT_CONF" ] || [ -L "$DEFAULT_CONF" ]; then
  echo "SLURM up: $DEFAULT_CONF exists ($(readlink -f "$DEFAULT_CONF")): this machine has" \
    "a SLURM of its own, or another CI cluster is up; not touching it" >&2
  false
fi
mkdir -p /etc/slurm
ln -s "$SLURM_CONF" "$DEFAULT_CONF"
echo "$DEFAULT_CONF" >"$STATE/default-conf-link"

# --- slurmdbd, then the cluster's accounts ---------------------------------------------------
start slurmdbd slurmdbd -D
wait_for 60 slurmdbd sacctmgr -n list cluster
sacctmgr -i add cluster "$CLUSTER" >/dev/null
sacctmgr -i add account "$ACCOUNT" Cluster="$CLUSTER" Description="CI" Organization="CI" \
  >/dev/null
sacctmgr -i add user "$(id -un)" Account="$ACCOUNT" DefaultAccount="$ACCOUNT" >/dev/null
log "slurmdbd: up; cluster $CLUSTER, account $ACCOUNT"

# --- slurmctld, slurmd --------------------------------------------------------------------------
start slurmctld slurmctld -D -i
wait_for 30 slurmctld scontrol ping
start slurmd slurmd -D -N localhost
node_idle() { [ "$(sinfo -h -n localhost -o %t)" = idle ]; }
wait_for 60 "node localhost (idle)" node_idle
log "slurmctld + slurmd: up; partition $PARTITION: $(sinfo -h -o '%P %a %D %t %c cpus %m MB')"
trap - ERR
