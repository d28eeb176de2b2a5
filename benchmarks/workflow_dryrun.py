"""Time the workflow on a large generated sample sheet.

    python benchmarks/workflow_dryrun.py [--samples 1000] [--run 20] [--keep DIR]

1. Writes one tiny indexed BAM (header only: no reads) and hard-links it once per sample, so a
   sheet of 1,000 samples costs almost no disk; writes the sheet and a config.
2. Times `snakemake -n` (the dry run: reading and checking the sheet, building the DAG of
   every job, reports included) over all the samples.  Target: under 30 s for 1,000 samples.
3. With --run N, really runs the workflow on the first N samples and reports the wall time
   per sample.  The BAMs hold no reads, so that time is the per-sample job overhead: Snakemake's
   bookkeeping plus starting `fusioncheck scan-batch` once per batch (config batch_size).

Prints the figures; docs/workflow.md records them.  Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pysam

REPO = Path(__file__).resolve().parent.parent
GRCH38 = {"chr17": 83_257_441, "chrX": 156_040_895}


def tiny_bam(path: Path) -> None:
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": c, "LN": n} for c, n in GRCH38.items()],
    }
    with pysam.AlignmentFile(str(path), "wb", header=header):
        pass
    pysam.index(str(path))


def make_cohort(root: Path, samples: int, report: bool) -> Path:
    data = root / "data"
    data.mkdir(parents=True)
    source = data / "template.bam"
    tiny_bam(source)
    lines = ["sample\tbam\tassay\treference\tbuild"]
    for i in range(samples):
        name = f"S{i:05d}"
        bam = data / f"{name}.bam"
        os.link(source, bam)
        os.link(f"{source}.bai", f"{bam}.bai")
        lines.append(f"{name}\t../data/{name}.bam\t{'rna' if i % 2 else 'dna'}\t\t")
    config = root / "config"
    config.mkdir()
    (config / "samples.tsv").write_text("\n".join(lines) + "\n")
    (config / "config.yaml").write_text(
        f"samples: config/samples.tsv\nreport: {str(report).lower()}\nthresholds: {{}}\n"
    )
    return config / "samples.tsv"


def snakemake(root: Path, *extra: str) -> float:
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "workflow" / "Snakefile"),
        "--directory", str(root), "--cores", "2", "--quiet", "all", *extra,
    ]  # fmt: skip
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"snakemake failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--run", type=int, default=0, help="also run N samples for real")
    parser.add_argument("--keep", help="build the cohort in this directory and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        make_cohort(root / "dryrun", args.samples, report=True)
        dry = snakemake(root / "dryrun", "-n")
        jobs = 3 * args.samples + 3
        print(f"dry run, {args.samples} samples ({jobs} jobs + all, reports on): {dry:.1f} s")
        if args.run:
            # Reports off: the figure is the overhead of a job, not Chromium's PDF time.
            make_cohort(root / "run", args.run, report=False)
            # Start-up (parse + DAG) alone, to take it out of the per-sample figure.
            startup = snakemake(root / "run", "-n")
            wall = snakemake(root / "run")
            per_sample = (wall - startup) / args.run
            print(
                f"real run, {args.run} samples with no reads, --cores 2: {wall:.1f} s "
                f"(start-up {startup:.1f} s); {per_sample:.2f} s wall per sample "
                f"with {args.run} samples in batches (config batch_size)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
