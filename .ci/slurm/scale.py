"""Measure what a cohort costs on SLURM: cluster jobs, core-seconds and wall time.

    bash .ci/slurm/up.sh /tmp/slurm && export SLURM_CONF=/tmp/slurm/etc/slurm.conf
    python .ci/slurm/scale.py --samples 100                       # one job per rule instance
    python .ci/slurm/scale.py --samples 100 --group-components 50  # 50 samples per cluster job
    bash .ci/slurm/down.sh /tmp/slurm

Builds a cohort of header-only BAMs (benchmarks/workflow_dryrun.py's builder: no reads, so the
figures are the per-job overhead of Snakemake and SLURM, not of scanning), runs it through
`--workflow-profile workflow/profiles/slurm` with the CI cluster's overrides, and reads the
jobs back from accounting (sacct). Prints one line; docs/cluster.md records the figures. Not a
test: the numbers depend on the machine and the cluster.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def make_cohort(root: Path, samples: int) -> None:
    spec = importlib.util.spec_from_file_location(
        "workflow_dryrun", REPO / "benchmarks" / "workflow_dryrun.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_cohort(root, samples, report=False)


def seconds(text: str) -> float:
    """sacct's [D-]HH:MM:SS[.mmm] or MM:SS.mmm as seconds."""
    days = 0
    if "-" in text:
        d, text = text.split("-", 1)
        days = int(d)
    parts = [float(p) for p in text.split(":")]
    while len(parts) < 3:
        parts.insert(0, 0.0)
    return days * 86400 + parts[0] * 3600 + parts[1] * 60 + parts[2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--group-components", type=int, default=0, help="0: no grouping")
    parser.add_argument("--cores", type=int, default=2, help="CPUs of one cluster job, at most")
    parser.add_argument("--keep", help="build and run in this directory and keep it")
    args = parser.parse_args()
    if "SLURM_CONF" not in os.environ:
        sys.exit("set SLURM_CONF (see .ci/slurm/up.sh)")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        make_cohort(root, args.samples)
        command = [
            sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow/Snakefile"),
            "--directory", str(root), "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
            "--default-resources", "slurm_partition=ci", "slurm_account=ci",
            "--slurm-init-seconds-before-status-checks", "1", "--cores", str(args.cores),
            "--quiet", "all",
        ]  # fmt: skip
        if args.group_components:
            command += [
                "--groups", "check_input=sample", "scan=sample",
                "--group-components", f"sample={args.group_components}",
            ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(
            ["timeout", "-s", "INT", "3600", *command], capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            sys.exit(f"snakemake failed:\n{done.stdout[-5000:]}\n{done.stderr[-5000:]}")
        out = subprocess.run(
            ["sacct", "-X", "-n", "-P", "-a", "-S", "now-2hours",
             "-o", "JobID,Elapsed,AllocCPUS,TotalCPU,Timelimit,ReqMem,WorkDir"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        rows = [line.split("|") for line in out.splitlines() if line]
        rows = [r for r in rows if Path(r[6]) == root]
        core_s = sum(seconds(r[1]) * int(r[2]) for r in rows)
        largest = max(rows, key=lambda r: int(r[2]))
        grouping = f"groups of {args.group_components}" if args.group_components else "no groups"
        print(
            f"{args.samples} samples, {grouping}: {len(rows)} cluster jobs, wall {wall:.0f} s, "
            f"{core_s:.0f} allocated core-s ({core_s / args.samples:.1f} per sample), "
            f"largest job asked {largest[2]} CPUs, {largest[5]}, "
            f"limit {largest[4]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
