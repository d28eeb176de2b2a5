"""Same answers, faster: scan a set of simulated controls and compare the result documents.

    python benchmarks/identity.py record DIR     # scan every control, write DIR/<name>.json
    python benchmarks/identity.py compare DIR    # scan again (1 and 2 threads), diff with DIR

Run ``record`` on the code before a speed change and ``compare`` after it: every field of every
control's JSON must be the same (only the run's times, host, input path and command may
differ), with ``--threads 1`` and ``--threads 2``.  The controls cover each record style and
library the reading code branches on: RNA/DNA; STAR chimeric, STAR, HISAT2, BWA; amplicon with
UMIs (RX, MI, read name) and PCR copies; FFPE duplicates; single-end; no supplementary records;
and the bundled ``.test`` example's four samples.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from fusioncheck.scan import scan
from fusioncheck.simulate import SimulationSpec, simulate

#: name -> (simulation spec, scan options)
CONTROLS: dict[str, tuple[dict, dict]] = {
    "rna_star_chimeric": ({"seed": 1}, {}),
    "rna_star": ({"seed": 5, "aligner": "star"}, {}),
    "rna_hisat2": ({"seed": 6, "aligner": "hisat2"}, {"unmapped_tail": True}),
    "rna_bwa": ({"seed": 7, "aligner": "bwa"}, {}),
    "rna_ffpe_stranded": ({"seed": 8, "ffpe": True, "stranded": True}, {}),
    "rna_single_end": ({"seed": 9, "single_end": True}, {}),
    "rna_capture": ({"seed": 10, "design": "rna_capture"}, {"assay": "rna_capture"}),
    "amp_rx_copies": (
        {"seed": 11, "design": "amp", "umi": "rx", "pcr_copies": 3, "umi_error_rate": 0.05},
        {"assay": "amp"},
    ),
    "amp_mi": ({"seed": 12, "design": "amp", "umi": "mi", "pcr_copies": 2}, {"umi": "MI"}),
    "amp_name": ({"seed": 13, "design": "amp", "umi": "name", "pcr_copies": 2}, {"umi": "name"}),
    "amp_no_umi_copies": ({"seed": 14, "design": "amp", "pcr_copies": 4}, {}),
    "dna_bwa": ({"seed": 15, "assay": "dna"}, {}),
    "dna_capture_no_sa": (
        {"seed": 16, "design": "dna_capture", "no_supplementary": True, "duplicate_rate": 0.2},
        {},
    ),
    "dna_negative": ({"seed": 17, "assay": "dna", "fusion_fragments": 0}, {}),
    # .test/make_data.sh
    "test_positive_rna": ({"seed": 1}, {}),
    "test_negative_rna": ({"seed": 2, "fusion_fragments": 0, "background": 600}, {}),
    "test_low_coverage_rna": ({"seed": 3, "fusion_fragments": 0, "background": 40}, {}),
    "test_positive_dna": (
        {"seed": 4, "assay": "dna", "aligner": "bwa", "build": "GRCh37", "contig_style": "plain"},
        {},
    ),
}

#: Fields that describe the run, not the sample.
VOLATILE = ("run", "input", "command")


def stable(result: dict) -> dict:
    return {k: v for k, v in result.items() if k not in VOLATILE}


def results(work: Path, threads: int) -> dict[str, dict]:
    out = {}
    genomes = work / "genomes"
    genomes.mkdir(exist_ok=True)
    for name, (spec, options) in CONTROLS.items():
        sim_dir = work / name
        if not (sim_dir / "sample.bam").exists():
            sim_dir.mkdir(exist_ok=True)
            simulate(SimulationSpec(**spec), sim_dir, genomes)
        res = scan(sim_dir / "sample.bam", name, reference=sim_dir / "genome.fa.gz",
                   threads=threads, **options)  # fmt: skip
        out[name] = stable(res)
    return out


def diff(a: object, b: object, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d for k in sorted(set(a) | set(b)) for d in diff(a.get(k), b.get(k), f"{where}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in diff(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["record", "compare"])
    parser.add_argument("dir", type=Path)
    parser.add_argument("--work", type=Path, help="keep the simulated controls here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="fcident-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if args.action == "record":
            args.dir.mkdir(parents=True, exist_ok=True)
            for name, res in results(work, 1).items():
                (args.dir / f"{name}.json").write_text(json.dumps(res, indent=1, sort_keys=True))
            return 0
        problems = []
        for threads in (1, 2):
            for name, res in results(work, threads).items():
                want = json.loads((args.dir / f"{name}.json").read_text())
                problems += [f"{name} (threads {threads}){d}" for d in diff(want, res)]
    print("\n".join(problems) or f"all {len(CONTROLS)} controls identical with 1 and 2 threads")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
