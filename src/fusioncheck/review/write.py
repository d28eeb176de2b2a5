"""Write a sample's review files: ``<sample>.evidence.bam`` (+ ``.bai``) and
``<sample>.igv.xml``, the session last (its presence means the set is complete)."""

from __future__ import annotations

from pathlib import Path

from fusioncheck.model import ScanResult
from fusioncheck.output import atomic_write
from fusioncheck.review.evidence_bam import Support, write_evidence_bam
from fusioncheck.review.igv import session_xml


def evidence_paths(directory: Path, sample: str) -> tuple[Path, Path]:
    """The evidence BAM and the IGV session of ``sample`` in ``directory``."""
    return directory / f"{sample}.evidence.bam", directory / f"{sample}.igv.xml"


def write_review_files(result: ScanResult, support: Support, directory: Path) -> list[Path]:
    bam, session = evidence_paths(directory, result.sample)
    write_evidence_bam(result, support, bam)
    style = support.inp.style
    regions = [f"{style.to_bam(w.chrom)}:{w.start}-{w.end}" for w in support.windows]
    xml = session_xml(result, session, bam, support.inp.path, support.inp.reference, regions)
    atomic_write({session: xml})
    return [bam, Path(f"{bam}.bai"), session]
