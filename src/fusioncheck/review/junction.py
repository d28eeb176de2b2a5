"""Reads across a junction, in fusion order (5' partner left, 3' partner right).

A read that crosses the junction is aligned to one partner and soft-clipped where the other
begins.  Cut at the breakpoint and turned to fusion order, every such read reads the same
way, whichever partner it was aligned to and on whichever strand: the reads' consensus is the
junction sequence when there is no FASTA, and the report draws them on it.
"""

from __future__ import annotations

from collections import Counter

import pysam

from fusioncheck.clustering import Cluster
from fusioncheck.genes import ContigStyle
from fusioncheck.model import Breakend
from fusioncheck.sequence import reverse_complement

#: How far an alignment may stop from the breakpoint and still be cut at it: aligners place a
#: join anywhere in the bases both partners share, and the annotation moves it to one place.
SLACK = 10
_SOFT_CLIP = 4


def halves(read: pysam.AlignedSegment, b: Breakend, is_five: bool) -> tuple[str, str] | None:
    """``read`` cut at breakend ``b`` of the 5' (``is_five``) or 3' partner, as (5' part,
    3' part) in fusion order; None unless its alignment stops at ``b`` (within :data:`SLACK`)
    with the other partner's bases soft-clipped there."""
    seq, cigar = read.query_sequence, read.cigartuples
    if read.is_unmapped or not seq or not cigar:
        return None
    if b.keeps == "below":
        shift = (read.reference_end or 0) - b.pos
        cut, clip = read.query_alignment_end - shift, cigar[-1][0]
    else:
        shift = read.reference_start + 1 - b.pos
        cut, clip = read.query_alignment_start - shift, cigar[0][0]
    if clip != _SOFT_CLIP or abs(shift) > SLACK or not 0 < cut < len(seq):
        return None
    lo, hi = seq[:cut], seq[cut:]
    # The read's genome order is fusion order unless its kept side lies the other way.
    if (b.keeps == "above") == is_five:
        return reverse_complement(hi), reverse_complement(lo)
    return lo, hi


def junction_reads(
    bam: pysam.AlignmentFile, style: ContigStyle, c: Cluster
) -> list[tuple[str, str, str]]:
    """(fragment, 5' part, 3' part) of each read of ``c``'s split fragments that crosses the
    junction, each read once (its first record found)."""
    names = set(c.split)
    seen: set[tuple[str, bool]] = set()
    out = []
    for b, is_five in ((c.five, True), (c.three, False)):
        start = max(0, b.pos - 1 - SLACK)
        for read in bam.fetch(style.to_bam(b.chrom), start, b.pos + SLACK):
            key = (str(read.query_name), read.is_read1)
            if key[0] not in names or key in seen:
                continue
            cut = halves(read, b, is_five)
            if cut is not None:
                seen.add(key)
                out.append((key[0], *cut))
    return out


def read_consensus(
    bam: pysam.AlignmentFile, style: ContigStyle, c: Cluster, flank: int
) -> str | None:
    """The majority base of the junction reads at each position, up to ``flank`` either side,
    marked ``5' part|3' part``; None when no read crosses the junction."""
    reads = junction_reads(bam, style, c)
    if not reads:
        return None
    left = _majority([r[1][::-1] for r in reads], flank)[::-1]
    right = _majority([r[2] for r in reads], flank)
    return f"{left}|{right}"


def _majority(parts: list[str], flank: int) -> str:
    """Column by column from the junction outward, while some read has a base there."""
    out = []
    for i in range(flank):
        counts = Counter(p[i] for p in parts if i < len(p) and p[i] != "N")
        if not counts:
            break
        out.append(max(sorted(counts), key=lambda base: counts[base]))
    return "".join(out)
