"""Real aligners for simulated panel libraries: STAR and BWA-MEM, one index per reference and
session, each library aligned once, lifted back onto the real chromosomes (:func:`lift_bam`).

The fixture genome holds a synthetic processed-pseudogene copy of TFE3 exon 6 on chr1 (to test
the ``low_mapq`` filter).  No such copy is known in a real lab genome, so BWA-MEM libraries are
aligned by default to the windows without it (``copy=False``): with it, every read whose TFE3
part lies inside exon 6 is a true multi-mapper (BWA-MEM MAPQ 0-3), which is what the one
test that keeps the copy checks.
"""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pysam

from fusioncheck.simulate import SimulationResult
from fusioncheck.simulate.genome import PARALOG_CHROM, PARALOG_START, parse_window_contig
from fusioncheck.simulate.lift import lift_bam

STAR_CHIMERIC = [
    "--chimSegmentMin", "12", "--chimJunctionOverhangMin", "12", "--chimOutType", "WithinBAM",
]  # fmt: skip


def _holds_copy(contig: str, length: int) -> bool:
    parsed = parse_window_contig(contig)
    if parsed is None:
        return False
    chrom, offset = parsed
    named = chrom if chrom.startswith("chr") else "chr" + chrom
    return named == PARALOG_CHROM and offset < PARALOG_START <= offset + length


class Aligners:
    """``bwa(sim)`` / ``star(sim)``: the simulated library aligned, as an indexed BAM."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._done: dict[tuple[str, Path, bool], Path] = {}

    def _reference(self, sim: SimulationResult, copy: bool) -> Path:
        """windows.fa, without the exon 6 copy unless ``copy``; one file per distinct content."""
        with pysam.FastxFile(str(sim.windows)) as f:
            records = [(r.name, r.sequence or "") for r in f]
        kept = [(n, s) for n, s in records if copy or not _holds_copy(n, len(s))]
        text = "".join(f">{n}\n{s}\n" for n, s in kept)
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        ref = self.workdir / f"ref_{digest}" / "windows.fa"
        if not ref.exists():
            ref.parent.mkdir(parents=True)
            ref.write_text(text)
        return ref

    def bwa(self, sim: SimulationResult, copy: bool = False) -> Path:
        key = ("bwa", sim.outdir, copy)
        if key not in self._done:
            ref = self._reference(sim, copy)
            if not ref.with_name("windows.fa.bwt").exists():
                subprocess.run(["bwa", "index", str(ref)], check=True, capture_output=True)
            out = self._outdir(sim, f"bwa_copy{int(copy)}")
            sam = out / "aligned.sam"
            with open(sam, "w") as handle:
                # -C copies the FASTQ comment (the simulator's RX/MI tags) into the record.
                subprocess.run(
                    ["bwa", "mem", "-C", "-t", "2", str(ref), *self._fastqs(sim)],
                    check=True, stdout=handle, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            self._done[key] = lift_bam(sam, out / "lifted.bam", sim.genome)
        return self._done[key]

    def star(self, sim: SimulationResult) -> Path:
        key = ("star", sim.outdir, True)
        if key not in self._done:
            ref = self._reference(sim, copy=True)
            index = ref.with_name("star_index")
            if not index.exists():
                subprocess.run(
                    ["STAR", "--runMode", "genomeGenerate", "--genomeDir", str(index),
                     "--genomeFastaFiles", str(ref), "--sjdbGTFfile", str(sim.gtf),
                     "--sjdbOverhang", "99", "--genomeSAindexNbases", "8", "--runThreadN", "2",
                     "--outFileNamePrefix", f"{ref.parent}/index_"],
                    check=True, capture_output=True,
                )  # fmt: skip
            out = self._outdir(sim, "star")
            subprocess.run(
                ["STAR", "--genomeDir", str(index), "--readFilesIn", *self._fastqs(sim),
                 "--readFilesCommand", "zcat", "--outSAMtype", "BAM", "Unsorted",
                 "--runThreadN", "2", "--outSAMattributes", "NH", "HI", "AS", "nM", "NM",
                 "--outFileNamePrefix", f"{out}/", *STAR_CHIMERIC],
                check=True, capture_output=True,
            )  # fmt: skip
            self._done[key] = lift_bam(out / "Aligned.out.bam", out / "lifted.bam", sim.genome)
        return self._done[key]

    def _outdir(self, sim: SimulationResult, what: str) -> Path:
        out = self.workdir / f"{sim.outdir.name}_{what}"
        out.mkdir()
        return out

    @staticmethod
    def _fastqs(sim: SimulationResult) -> list[str]:
        return [str(sim.fastq1)] + ([str(sim.fastq2)] if sim.fastq2 else [])
