"""Measure what a cohort costs on SLURM: cluster jobs, core-seconds and wall time.

    bash .ci/slurm/up.sh /tmp/slurm && export SLURM_CONF=/tmp/slurm/etc/slurm.conf
    python .ci/slurm/scale.py --samples 1000 --bad 1            # batches of 50 (the default)
    python .ci/slurm/scale.py --samples 1000 --batch-size 100
    bash .ci/slurm/down.sh /tmp/slurm

Builds a cohort of header-only BAMs (benchmarks/workflow_dryrun.py's builder: no reads, so the
figures are the overhead of Snakemake and SLURM, not of scanning), with ``--bad`` of them cut
short, runs it through `--workflow-profile workflow/profiles/slurm` with the CI cluster's
overrides, and reads the jobs back from accounting (sacct). With bad BAMs the run must end 1
naming exactly them, every other sample must have its result and no cluster job may fail.
Prints one line; docs/cluster.md records the figures. Not a test: the numbers depend on the
machine and the cluster.
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


def make_cohort(root: Path, samples: int, batch_size: int, bad: int) -> list[str]:
    """The cohort, with every ``samples // bad``-th BAM replaced by a truncated copy; returns
    the bad samples' names."""
    spec = importlib.util.spec_from_file_location(
        "workflow_dryrun", REPO / "benchmarks" / "workflow_dryrun.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_cohort(root, samples, report=False)
    with open(root / "config" / "config.yaml", "a") as config:
        config.write(f"batch_size: {batch_size}\n")
    broken = []
    for i in range(samples // 2, samples, max(1, samples // bad) if bad else samples + 1):
        bam = root / "data" / f"S{i:05d}.bam"
        whole = bam.read_bytes()
        bam.unlink()  # a hard link to the template: replace it, do not write through it
        bam.write_bytes(whole[:-28])  # drop the BGZF end-of-file block
        broken.append(f"S{i:05d}")
    return broken[:bad]


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
    parser.add_argument("--batch-size", type=int, default=50, help="config batch_size")
    parser.add_argument("--bad", type=int, default=0, help="truncated BAMs among the samples")
    parser.add_argument("--cores", type=int, default=2, help="CPUs of one cluster job, at most")
    parser.add_argument("--keep", help="build and run in this directory and keep it")
    args = parser.parse_args()
    if "SLURM_CONF" not in os.environ:
        sys.exit("set SLURM_CONF (see .ci/slurm/up.sh)")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        bad = make_cohort(root, args.samples, args.batch_size, args.bad)
        command = [
            sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow/Snakefile"),
            "--directory", str(root), "--workflow-profile", str(REPO / "workflow/profiles/slurm"),
            "--default-resources", "slurm_partition=ci", "slurm_account=ci",
            "--slurm-init-seconds-before-status-checks", "1", "--cores", str(args.cores),
            "--quiet", "all",
        ]  # fmt: skip
        start = time.perf_counter()
        done = subprocess.run(
            ["timeout", "-s", "INT", "3600", *command], capture_output=True, text=True
        )
        wall = time.perf_counter() - start
        expected = f"{len(bad)} sample(s) failed: {', '.join(bad)}." if bad else ""
        if done.returncode != (1 if bad else 0) or expected not in done.stdout + done.stderr:
            sys.exit(f"snakemake failed:\n{done.stdout[-5000:]}\n{done.stderr[-5000:]}")
        results = list((root / "results" / "scan").glob("*.fusioncheck.json"))
        errors = [p.name.split(".")[0] for p in results if '"call": "ERROR"' in p.read_text()]
        assert len(results) == args.samples and sorted(errors) == bad, (len(results), errors)
        out = subprocess.run(
            ["sacct", "-X", "-n", "-P", "-a", "-S", "now-2hours",
             "-o", "JobID,Elapsed,AllocCPUS,TotalCPU,Timelimit,ReqMem,WorkDir,State"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        rows = [line.split("|") for line in out.splitlines() if line]
        rows = [r for r in rows if Path(r[6]) == root]
        states = sorted({r[7] for r in rows})
        core_s = sum(seconds(r[1]) * int(r[2]) for r in rows)
        largest = max(rows, key=lambda r: int(r[2]))
        print(
            f"{args.samples} samples ({len(bad)} bad), batches of {args.batch_size}: "
            f"{len(rows)} cluster jobs ({', '.join(states)}), wall {wall:.0f} s, "
            f"{core_s:.0f} allocated core-s ({core_s / args.samples:.1f} per sample), "
            f"largest job asked {largest[2]} CPUs, {largest[5]}, "
            f"limit {largest[4]}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
