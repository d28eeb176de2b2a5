#!/usr/bin/env bash
# Stop the single-node cluster that .ci/slurm/up.sh STATE_DIR started, by PID.
#   bash .ci/slurm/down.sh STATE_DIR
# 1. cancel every job still queued or running on that cluster (it is private to STATE_DIR);
# 2. SIGTERM each daemon in STATE_DIR/pids, last started first, SIGKILL after 20 s;
# 3. remove the /etc/slurm/slurm.conf symlink up.sh made (only if it still points here);
# 4. SIGKILL any slurmstepd left behind by *this* cluster's slurmd (recognised by the SLURM_CONF
#    in its environment), so that no job processes outlive the cluster.
# Only PIDs whose command name is still the recorded daemon's are signalled (a PID reused by an
# unrelated process is left alone). Safe to run twice, or after a failed up.sh. Logs stay.
set -uo pipefail
PATH="$PATH:/usr/sbin:/sbin"

if [ $# -ne 1 ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
STATE="$(cd "$1" 2>/dev/null && pwd)" || { echo "SLURM down: no $1; nothing to stop"; exit 0; }
PIDS="$STATE/pids"
[ -f "$PIDS" ] || { echo "SLURM down: no $PIDS; nothing to stop"; exit 0; }
CONF="$STATE/etc/slurm.conf"

# alive PID NAME: the process exists, is not a zombie, and is still NAME.
alive() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Field 2 is "(comm)", field 3 the state; comm may hold spaces, so cut after the last ')'.
  local rest="${stat##*) }"
  [ "${rest%% *}" != Z ] || return 1
  [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

ctld_pid="$(awk '$1 == "slurmctld" {print $2}' "$PIDS")"
if [ -n "$ctld_pid" ] && alive "$ctld_pid" slurmctld && [ -f "$CONF" ]; then
  export SLURM_CONF="$CONF"
  jobs="$(timeout 10 squeue -h -o %i 2>/dev/null | tr '\n' ' ')"
  if [ -n "${jobs// /}" ]; then
    echo "SLURM down: cancelling jobs $jobs"
    # shellcheck disable=SC2086
    timeout 10 scancel $jobs || true
    for _ in $(seq 50); do
      [ -z "$(timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
fi

# Last started first: slurmd, slurmctld, slurmdbd, munged, mariadbd.
mapfile -t lines < <(tac "$PIDS")
for line in "${lines[@]}"; do
  read -r name pid <<<"$line"
  if alive "$pid" "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
      alive "$pid" "$name" || break
      sleep 0.2
    done
    if alive "$pid" "$name"; then
      echo "SLURM down: $name ($pid) ignored SIGTERM for 20 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  echo "SLURM down: $name ($pid) stopped"
done

for dir in /proc/[0-9]*; do
  pid="${dir#/proc/}"
  [ "$(cat "$dir/comm" 2>/dev/null)" = slurmstepd ] || continue
  if tr '\0' '\n' <"$dir/environ" 2>/dev/null | grep -qxF "SLURM_CONF=$CONF"; then
    echo "SLURM down: slurmstepd ($pid) of this cluster left behind; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
done

# The default-path symlink up.sh made, if it still points here.
if [ -f "$STATE/default-conf-link" ]; then
  link="$(cat "$STATE/default-conf-link")"
  if [ -L "$link" ] && [ "$(readlink "$link")" = "$CONF" ]; then
    rm -f "$link"
    echo "SLURM down: removed $link"
  fi
fi

mv "$PIDS" "$PIDS.stopped"
