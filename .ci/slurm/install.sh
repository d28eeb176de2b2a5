#!/usr/bin/env bash
# Install a single-node SLURM from Debian 12's packages, for tests/test_slurm.py and .ci/run:
# the controller, the node daemon, the client commands, munge (authentication) and slurmdbd with
# MariaDB (accounting, so that `sacct`, which the Snakemake SLURM plugin polls, answers).
# Installing only: nothing is started here (there is no systemd); .ci/slurm/up.sh starts the
# daemons by hand. Debian's post-install scripts try to start the services and are refused
# ("policy-rc.d denied execution"), which is expected and harmless.
#   bash .ci/slurm/install.sh        exits 0 once every command below is on PATH
set -euo pipefail

APT_PACKAGES=(slurmctld slurmd slurm-client slurmdbd munge mariadb-server)
NEEDED=(slurmctld slurmd slurmdbd sbatch srun sinfo squeue sacct sacctmgr scontrol scancel
        munged munge unmunge mariadbd mariadb-install-db mariadb mariadb-admin)

missing() {
  local cmd
  for cmd in "${NEEDED[@]}"; do
    PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || echo "$cmd"
  done
}

if [ -z "$(missing)" ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  SUDO="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# With recommended packages: the combination tests/test_slurm.py was developed on.
$SUDO apt-get install -y -q "${APT_PACKAGES[@]}"
if [ -n "$(missing)" ]; then
  echo "SLURM install: still missing after apt-get: $(missing | tr '\n' ' ')" >&2
  exit 1
fi
