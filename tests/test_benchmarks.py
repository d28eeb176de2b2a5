"""The benchmark entry point runs end to end in its quick mode and prints every row.

No timing assertions: timings depend on the machine (docs/benchmarks.md holds the figures).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

TOOLS = ("samtools", "bgzip", "bcftools", "delly", "py-spy")


def test_quick_benchmark_prints_every_row(tmp_path: Path) -> None:
    missing = [t for t in TOOLS if shutil.which(t) is None]
    missing += [] if Path("/usr/bin/time").exists() else ["GNU time (/usr/bin/time)"]
    assert not missing, f"install {', '.join(missing)} (.ci/install.sh does)"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick", "--repeats", "1",
         "--cache", str(tmp_path / "cache")],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = done.stdout
    for assay in ("rna", "dna"):
        for pairs in ("20 k", "100 k"):
            assert f"| {assay} | {pairs} |" in table
    for row in (
        "RNA: scan within 3x of `samtools view -c`",
        "DNA: scan within 3x of `samtools view -c`",
        "RNA: scan time flat",
        "DNA: scan time flat",
        "peak RSS of a scan under 300 MB",
        "result unchanged by the filler",
        "RNA: full-file pass / scan",
        "DNA: full-file pass / scan",
        "DNA: Delly / scan",
        "workflow, 6 samples, --cores 2",
        "### Delly",
        "### Workflow: 6 samples",
        "### Profile: scan of the 100 k-pair RNA BAM",
        "### Profile: scan of the 100 k-pair DNA BAM",
        "### Panel depth: every read in the windows",
        "RNA panel, 50 k reads: scan within 3x the pysam loop",
        "DNA panel, 50 k reads: `--threads 2` at least 1.6x faster",
        "panel, 50 k reads: peak RSS under 300 MB",
        "Whole run:",
        "- machine:",
        "- versions:",
    ):
        assert row in table, row
    # The filler never changes what the scan sees, and Delly finds the simulated break exactly
    # (the truth's breakpoints, as the scan does): a comparison that can fail, not a report of it.
    assert "| result unchanged by the filler" in table and "4 of 4 inputs | yes |" in table
    assert "truth [('chr17:82000308', 'chrX:49034691')]: found exactly" in table
    assert "NOT found exactly" not in table
    assert "Delly finds the truth's breakpoints | " in table and "x; same breakpoints |" in table
    # One and two threads give the same document on both panel inputs.
    assert table.count("| yes | DETECTED |") == 2
