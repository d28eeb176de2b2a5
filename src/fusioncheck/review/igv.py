"""An IGV desktop session (``<sample>.igv.xml``) that opens the evidence at both breakpoints.

IGV reads the session format of its ``IGVSessionReader`` (version 8): the genome (an IGV
genome ID or a FASTA path), the files to load (``Resources``) and a ``GeneList`` of loci, which
IGV shows side by side.  Paths are relative to the session file, so the results folder can be
moved together with the data; the ``path`` attribute records where the session was written,
which IGV falls back on for files a relative path no longer finds (the original BAM, when only
the results folder moved).
"""

from __future__ import annotations

import os
from pathlib import Path

from fusioncheck.model import FusionRecord, ScanResult, position

#: Bases shown either side of a breakpoint: a read length or two.
FLANK = 150

#: IGV's hosted genome for each build, used when no FASTA was given.
IGV_GENOMES = {"GRCh38": "hg38", "GRCh37": "hg19"}


def _relative(path: Path | str, session: Path) -> str:
    """A local file relative to the session; a URL (a remote BAM) as it is."""
    if isinstance(path, str):
        return path
    return Path(os.path.relpath(path.resolve(), session.resolve().parent)).as_posix()


def _locus(breakpoint: str) -> str:
    contig, pos = position(breakpoint)
    return f"{contig}:{max(1, pos - FLANK)}-{pos + FLANK}"


def breakpoint_loci(result: ScanResult, regions: list[str]) -> list[str]:
    """Both breakpoints of the first record (the target when there is one), else
    ``regions``."""
    first: FusionRecord | None = result.fusions[0] if result.fusions else None
    if first is None:
        return regions
    return [_locus(first.breakpoint_5p), _locus(first.breakpoint_3p)]


def session_xml(
    result: ScanResult,
    session: Path,
    evidence_bam: Path,
    original: Path | str,
    reference: Path | None,
    regions: list[str],
) -> str:
    """The session text; ``regions`` are the loci shown when no fusion was found."""
    genome = _relative(reference, session) if reference else IGV_GENOMES.get(result.build, "hg38")
    loci = breakpoint_loci(result, regions)
    from xml.etree import ElementTree as ET  # here: a scan without review files skips it

    root = ET.Element(
        "Session",
        genome=genome,
        hasGeneTrack="false" if reference else "true",
        hasSequenceTrack="true",
        locus=" ".join(loci),
        path=str(session.resolve()),
        version="8",
    )
    resources = ET.SubElement(root, "Resources")
    ET.SubElement(
        resources,
        "Resource",
        name=f"{result.sample} evidence (fusioncheck)",
        path=_relative(evidence_bam, session),
        index=_relative(Path(f"{evidence_bam}.bai"), session),
    )
    ET.SubElement(resources, "Resource", name=f"{result.sample} all reads",
                  path=_relative(original, session))  # fmt: skip
    genes = ET.SubElement(root, "GeneList", name=f"{result.sample} breakpoints")
    genes.text = "\n".join(loci)
    ET.indent(root)
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n'
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )
