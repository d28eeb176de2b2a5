"""The compiled read loop reads records in place: the SA tag behind auxiliary fields of every
type, and coverage from CIGARs with every operation, stated here read by read.

The reads sit on TFE3 (GRCh38, minus strand), whose exons in genomic order are exon 10
(49,028,731-49,030,601), 9 (49,031,397-49,031,544), 8 (49,033,465-49,033,540).
"""

from __future__ import annotations

import re
from collections import Counter

import pysam

from builders import header
from fusioncheck.config import Thresholds
from fusioncheck.coverage import Coverage
from fusioncheck.genes import Window
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.readloop import read_chunk
from fusioncheck.reads import Chunk
from fusioncheck.scan import Options, _read

TFE3 = Window("TFE3", "chrX", 49_026_731, 49_045_486)

#: Auxiliary fields of every SAM type; htslib stores the integers in the smallest type that
#: holds them (c, C, s, S, i, I), so each integer type is present too.
EVERY_TYPE = (
    "XA:A:q\tXc:i:-5\tXC:i:200\tXs:i:-1000\tXS:i:40000\tXi:i:-100000\tXI:i:3000000000\t"
    "XF:f:1.5\tXZ:Z:some text\tXH:H:1AE301\tXb:B:c,-1,2\tXB:B:S,1,2,3\tXf:B:f,0.5,1.5"
)
SA = "SA:Z:chr17,81996800,+,50M50S,60,0;"
SEQ = "ACGT" * 25


def sam(
    name: str,
    flag: int,
    pos: int,
    cigar: str,
    tags: str = "",
    mate: str = "*\t0\t0",
    mapq: int = 60,
) -> str:
    """A SAM line on chrX at 1-based ``pos``, with a sequence as long as the CIGAR's read."""
    length = sum(int(n) for n, op in re.findall(r"(\d+)([MIDNSHP=X])", cigar) if op in "MIS=X")
    fields = [name, str(flag), "chrX", str(pos), str(mapq), cigar, mate, SEQ[:length]]
    return "\t".join([*fields, "I" * length, *([tags] if tags else [])])


def write(path, lines: list[str]):
    hdr = pysam.AlignmentHeader.from_dict(header())
    unsorted = path.with_suffix(".unsorted.bam")
    with pysam.AlignmentFile(str(unsorted), "wb", header=hdr) as out:
        for line in lines:
            out.write(pysam.AlignedSegment.fromstring(line, hdr))
    pysam.sort("-o", str(path), str(unsorted))
    pysam.index(str(path))
    return path


def read_tfe3(bam) -> tuple[Coverage, list[str]]:
    """Read TFE3's window of ``bam`` in one chunk: its coverage and the names of the reads
    handed to the evidence collector."""
    s = _read(bam, Options())
    coverage = Coverage(s.target, s.models, Thresholds(), MoleculeKeys())
    evidence: list[str] = []
    with s.inp.open() as handle:
        chunk = Chunk(TFE3, TFE3.start - 1, TFE3.end, True, True)
        read_chunk(
            handle, s.inp, chunk, Thresholds(), coverage,
            lambda r: evidence.append(r.query_name), Counter(),
        )  # fmt: skip
    return coverage, evidence


PROPER_MATE = 0x1 | 0x2 | 0x20 | 0x40  # paired, proper, mate reverse, first in pair


def test_the_sa_tag_is_found_behind_fields_of_every_type(tmp_path):
    """A properly paired read aligned end to end is evidence only if it is split (SA tag);
    the tag is found after fields of every type, and not found where it is absent."""
    mate = "=\t49029001\t400"
    bam = write(tmp_path / "aux.bam", [
        sam("split", PROPER_MATE, 49_028_801, "100M", EVERY_TYPE + "\t" + SA, mate),
        sam("whole", PROPER_MATE, 49_028_802, "100M", EVERY_TYPE, mate),
        sam("sa_first", PROPER_MATE, 49_028_803, "100M", SA + "\t" + EVERY_TYPE, mate),
    ])  # fmt: skip
    _, evidence = read_tfe3(bam)
    assert evidence == ["split", "sa_first"]


def test_coverage_from_every_cigar_operation(tmp_path):
    """Bases and fragments per exon, reads, lengths, duplicates and spliced reads, from a
    spliced read with hard and soft clips, an insertion and a deletion, a supplementary part of
    the same read (the fragment counts once per exon), a duplicate and a low-MAPQ read."""
    bam = write(tmp_path / "cigar.bam", [
        # exon 9: 49,031,535-544 (10 bases); then 10 intronic bases; N to exon 8:
        # 49,033,465-484 (20), 4 deleted, 49,033,489-498 (10).
        sam("spliced", 0, 49_031_535, "3H5S10M2I10M1910N20M4D10M6S"),
        # its supplementary part on exon 8: 49,033,500-519 (20 bases), no new fragment
        sam("spliced", 0x800, 49_033_500, "30H20M"),
        sam("duplicate", 0x400, 49_029_001, "50M"),
        sam("low_mapq", 0, 49_029_101, "50M", mapq=0),
    ])  # fmt: skip
    coverage, _ = read_tfe3(bam)
    tally = coverage.tally
    assert tally.reads["TFE3"] == 3  # primary records
    assert tally.duplicates == 1
    assert tally.spliced == 1
    assert tally.lengths == Counter({66: 1, 50: 2})  # hard clips count in a read's length
    assert {k: v for k, v in tally.exon_bases.items() if v} == {
        ("TFE3", 9): 10,
        ("TFE3", 8): 50,
    }
    assert {k: v for k, v in tally.exon_fragments.items() if v} == {
        ("TFE3", 9): 1,
        ("TFE3", 8): 1,
    }
