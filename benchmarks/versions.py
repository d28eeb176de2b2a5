"""A single scan of the same BAM by several versions of fusioncheck, same machine, same minute.

    python benchmarks/versions.py BAM FASTA REV [REV ...] [--repeats 10]

Each revision (``HEAD`` included) is checked out into a temporary git worktree with its
bytecode compiled (an install has it); the versions then take turns, each scan a fresh
``python -m fusioncheck scan`` process, and the best wall time of each is printed.  Taking
turns puts every version under the same load, so the ratios hold on a shared machine where
seconds do not.  A version whose package has a compiled module is built in its worktree
(``setup.py build_ext --inplace``) against the pysam installed here.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def checkout(rev: str, into: Path) -> Path:
    subprocess.run(
        ["git", "-C", str(REPO), "worktree", "add", "--detach", "-f", str(into), rev],
        check=True, capture_output=True,
    )  # fmt: skip
    if (into / "setup.py").exists():
        subprocess.run(
            [sys.executable, "setup.py", "build_ext", "--inplace", "-q"],
            cwd=into, check=True, capture_output=True,
        )  # fmt: skip
    compileall.compile_dir(str(into / "src"), quiet=1)
    return into / "src"


def scan_seconds(src: Path, bam: str, fasta: str, out: Path) -> float:
    command = [sys.executable, "-m", "fusioncheck", "scan", bam, "--sample", "s",
               "--outdir", str(out), "--reference", fasta]  # fmt: skip
    start = time.perf_counter()
    subprocess.run(command, env=dict(os.environ, PYTHONPATH=str(src)), check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bam")
    parser.add_argument("fasta")
    parser.add_argument("revs", nargs="+")
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fcversions-") as tmp:
        trees = {rev: checkout(rev, Path(tmp) / f"v{i}") for i, rev in enumerate(args.revs)}
        try:
            best = dict.fromkeys(trees, float("inf"))
            for _ in range(args.repeats):
                for rev, src in trees.items():
                    seconds = scan_seconds(src, args.bam, args.fasta, Path(tmp) / "out")
                    best[rev] = min(best[rev], seconds)
        finally:
            for i in range(len(trees)):
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                                str(Path(tmp) / f"v{i}")], check=False)  # fmt: skip
    first = best[args.revs[0]]
    for rev, seconds in best.items():
        print(f"{rev}\t{seconds:.3f} s\t{seconds / first:.2f}x of {args.revs[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
