"""Turn alignments into junction observations.

An *observation* says: this fragment joins breakend ``a`` to breakend ``b``.  A breakend is a
genomic position and the side of it that the chimeric molecule keeps (``below``: the bases at
and below the position; ``above``: at and above).  Read orientation is folded away here, so a
read from either strand of the same molecule gives the same observation.

Three sources, as aligners write them:

* ``SA``: a read split over two loci (STAR ``WithinBAM``, BWA-MEM, minimap2): exact.
* ``soft_clip``: an aligned anchor whose clipped bases match the partner sequence (STAR default,
  HISAT2): exact, needs the reference FASTA.
* ``mates``: a pair with one mate at each locus: the junction lies beyond both mates.
* ``unmapped_rescue``: a read the aligner left unmapped beside its mapped mate, explained as
  a start on one known gene and an end on another (HISAT2 writes no junction read otherwise):
  exact, needs the reference FASTA.

Each observation carries the name of the first filter that removes it (``None`` if it passes);
filters mark evidence, they never drop it silently.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import ContigStyle

if TYPE_CHECKING:
    from fusioncheck.sequence import PartnerIndex

#: The named filters, in the order they are applied.  The same names appear in the JSON
#: ``filters`` fields and in docs/calling.md.
FILTERS: dict[str, str] = {
    "duplicates": "read flagged as PCR/optical duplicate (0x400)",
    "low_mapq": "an alignment below min_mapq: multi-mapping, paralogous or homologous sequence",
    "short_anchor": "fewer than min_anchor bases aligned on one side of the junction",
    "low_complexity": "the junction-side sequence is a homopolymer or short repeat",
    "homology": "the clipped sequence matches more than one locus, or its own gene",
    "orientation": "both sides keep their 5' (or both their 3') part: not a sense fusion",
    "read_through": "same-strand neighbour on the same chromosome: transcriptional read-through",
}

_SA_CIGAR = re.compile(r"(\d+)([MIDNSHP=X])")
_QUERY_OPS = {0, 1, 4, 7, 8}  # consume query bases (soft clips included)
_ALIGNED_QUERY_OPS = {0, 1, 7, 8}
_REF_OPS = {0, 2, 3, 7, 8}
_CLIP_OPS = {4, 5}
_OP_CODES = {"M": 0, "I": 1, "D": 2, "N": 3, "S": 4, "H": 5, "P": 6, "=": 7, "X": 8}


def is_low_complexity(seq: str) -> bool:
    """Homopolymer- or dinucleotide-dominated sequence, which matches too many places."""
    seq = seq.upper()
    if not seq:
        return True
    top_base = max(seq.count(b) for b in "ACGT") / len(seq)
    dinucleotides = {seq[i : i + 2] for i in range(0, len(seq) - 1)}
    return top_base >= 0.7 or len(dinucleotides) <= 4


@dataclass(frozen=True, order=True)
class Breakend:
    chrom: str  # chr-style name
    pos: int  # 1-based
    keeps: str  # "below" or "above"


@dataclass(frozen=True)
class Observation:
    fragment: str
    source: str  # "SA", "soft_clip", "unmapped_rescue" or "mates"
    a: Breakend
    b: Breakend
    filter: str | None = None

    @property
    def is_split(self) -> bool:
        return self.source != "mates"


@dataclass(frozen=True)
class _Segment:
    """One alignment of a read, with its query interval in the read's original orientation."""

    chrom: str
    start: int  # 0-based reference start
    end: int  # reference end (exclusive), i.e. 1-based last aligned base
    reverse: bool
    qstart: int
    qend: int
    mapq: int

    @property
    def read_order_end(self) -> Breakend:
        """The breakend where this segment stops, walking the read 5' to 3'."""
        if self.reverse:
            return Breakend(self.chrom, self.start + 1, "above")
        return Breakend(self.chrom, self.end, "below")

    @property
    def read_order_start(self) -> Breakend:
        if self.reverse:
            return Breakend(self.chrom, self.end, "below")
        return Breakend(self.chrom, self.start + 1, "above")

    @property
    def aligned(self) -> int:
        return self.qend - self.qstart


def _segment(
    chrom: str, start: int, reverse: bool, cigar: list[tuple[int, int]], mapq: int
) -> _Segment:
    lead = 0
    for op, length in cigar:
        if op not in _CLIP_OPS:
            break
        lead += length
    trail = 0
    for op, length in reversed(cigar):
        if op not in _CLIP_OPS:
            break
        trail += length
    aligned = sum(length for op, length in cigar if op in _ALIGNED_QUERY_OPS)
    ref_len = sum(length for op, length in cigar if op in _REF_OPS)
    qstart = trail if reverse else lead
    return _Segment(chrom, start, start + ref_len, reverse, qstart, qstart + aligned, mapq)


def _parse_sa(tag: str, style: ContigStyle) -> Iterator[_Segment]:
    for entry in tag.rstrip(";").split(";"):
        rname, pos, strand, cigar, mapq, _nm = entry.split(",")
        ops = [(_OP_CODES[op], int(n)) for n, op in _SA_CIGAR.findall(cigar)]
        yield _segment(style.from_bam(rname), int(pos) - 1, strand == "-", ops, int(mapq))


def _record_segment(read: pysam.AlignedSegment, style: ContigStyle) -> _Segment:
    return _segment(
        style.from_bam(str(read.reference_name)),
        read.reference_start,
        read.is_reverse,
        read.cigartuples or [],
        read.mapping_quality,
    )


class EvidenceCollector:
    """Feed it every alignment fetched from the target windows, then call :meth:`finish`.

    Each read's split evidence is taken once, from whichever of its records (primary or
    supplementary) is seen first; each pair's mate evidence once per fragment.
    """

    def __init__(
        self, style: ContigStyle, thresholds: Thresholds, index: PartnerIndex | None
    ) -> None:
        self.style = style
        self.t = thresholds
        self.index = index
        self.observations: list[Observation] = []
        #: Anchor ends of clips that matched no known partner (or could not be checked),
        #: counted once per fragment: a TFE3 break with an unknown partner shows up here.
        self.unmatched_clips: Counter[Breakend] = Counter()
        #: Unmapped reads beside a mapped mate that could not be checked without a FASTA.
        self.unchecked_unmapped = 0
        self._seen_splits: set[tuple[str, bool]] = set()
        self._seen_pairs: set[str] = set()
        self._pairs: list[Observation] = []
        self._pair_mapq: dict[str, int] = {}
        self._seen_unmatched: set[str] = set()

    def add(self, read: pysam.AlignedSegment) -> None:
        if read.is_secondary or read.is_qcfail:
            return
        name = str(read.query_name)
        if read.is_unmapped:
            self._add_unmapped(read, name, read.is_duplicate)
            return
        duplicate = read.is_duplicate
        if read.has_tag("SA"):
            self._add_split(read, name, duplicate)
        elif not read.is_supplementary:
            self._add_soft_clip(read, name, duplicate)
        if read.is_paired and not read.mate_is_unmapped and not read.is_proper_pair:
            if not read.is_supplementary:
                self._note_mapq(name, read.mapping_quality)
                self._add_pair(read, name, duplicate)

    # -- split reads (SA) --------------------------------------------------------------------

    def _add_split(self, read: pysam.AlignedSegment, name: str, duplicate: bool) -> None:
        key = (name, read.is_read1)
        if key in self._seen_splits:
            return
        self._seen_splits.add(key)
        segments = sorted(
            [_record_segment(read, self.style), *_parse_sa(str(read.get_tag("SA")), self.style)],
            key=lambda s: s.qstart,
        )
        for first, second in zip(segments, segments[1:]):
            reason = None
            if duplicate:
                reason = "duplicates"
            elif min(first.mapq, second.mapq) < self.t.min_mapq:
                reason = "low_mapq"
            elif min(first.aligned, second.aligned) < self.t.min_anchor:
                reason = "short_anchor"
            self.observations.append(
                Observation(name, "SA", first.read_order_end, second.read_order_start, reason)
            )

    # -- soft clips --------------------------------------------------------------------------

    def _add_soft_clip(self, read: pysam.AlignedSegment, name: str, duplicate: bool) -> None:
        cigar = read.cigartuples or []
        seq = read.query_sequence
        if not cigar or seq is None:
            return
        anchor = read.query_alignment_length
        chrom = self.style.from_bam(str(read.reference_name))
        clips = []
        if cigar[-1][0] == 4 and cigar[-1][1] >= self.t.min_anchor:
            end = read.reference_end or read.reference_start
            clips.append((Breakend(chrom, end, "below"), seq[-cigar[-1][1] :]))
        if cigar[0][0] == 4 and cigar[0][1] >= self.t.min_anchor:
            clips.append((Breakend(chrom, read.reference_start + 1, "above"), seq[: cigar[0][1]]))
        for anchor_end, clipped in clips:
            if self.index is None:
                self._unmatched(read, name, anchor_end, duplicate)
                continue
            after = anchor_end.keeps == "below"
            hits = self.index.match(clipped, after=after)
            own = [h for h in hits if self.index.same_gene(h, anchor_end)]
            others = [h for h in hits if h not in own]
            if not others:
                self._unmatched(read, name, anchor_end, duplicate)
                continue
            reason = None
            if duplicate:
                reason = "duplicates"
            elif read.mapping_quality < self.t.min_mapq:
                reason = "low_mapq"
            elif anchor < self.t.min_anchor:
                reason = "short_anchor"
            elif is_low_complexity(clipped):
                reason = "low_complexity"
            elif own or len(others) > 1:
                reason = "homology"
            first, second = (anchor_end, others[0]) if after else (others[0], anchor_end)
            self.observations.append(Observation(name, "soft_clip", first, second, reason))

    def _unmatched(
        self, read: pysam.AlignedSegment, name: str, anchor: Breakend, duplicate: bool
    ) -> None:
        if duplicate or read.mapping_quality < self.t.min_mapq:
            return
        if name not in self._seen_unmatched:
            self._seen_unmatched.add(name)
            self.unmatched_clips[anchor] += 1

    # -- unmapped reads beside a mapped mate -------------------------------------------------

    def _add_unmapped(self, read: pysam.AlignedSegment, name: str, duplicate: bool) -> None:
        """An unmapped read stored at its mate's position in a window: aligners such as HISAT2
        leave reads that cross a fusion junction unaligned; place its two parts on the known
        genes' sequence (needs the FASTA)."""
        seq = read.query_sequence
        if seq is None or len(seq) < 2 * self.t.min_anchor:
            return
        key = (name, read.is_read1)
        if key in self._seen_splits:
            return
        self._seen_splits.add(key)
        if self.index is None:
            self.unchecked_unmapped += 1
            return
        junctions = self.index.split_placements(seq, self.t.min_anchor)
        reason = None
        if duplicate:
            reason = "duplicates"
        elif is_low_complexity(seq):
            reason = "low_complexity"
        elif len(junctions) > 1:
            reason = "homology"
        for a, b in sorted(junctions)[:1]:
            self.observations.append(Observation(name, "unmapped_rescue", a, b, reason))

    # -- discordant pairs --------------------------------------------------------------------

    def _add_pair(self, read: pysam.AlignedSegment, name: str, duplicate: bool) -> None:
        if name in self._seen_pairs:
            return
        self._seen_pairs.add(name)
        own = _record_segment(read, self.style)
        mate_chrom = self.style.from_bam(str(read.next_reference_name))
        mate_start = read.next_reference_start
        if read.has_tag("MC"):
            ops = [(_OP_CODES[op], int(n)) for n, op in _SA_CIGAR.findall(str(read.get_tag("MC")))]
            mate_len = sum(length for op, length in ops if op in _REF_OPS)
        else:
            mate_len = read.query_length or read.infer_read_length() or 0
        # A mate points at the junction: forward mates have it above them, reverse below.
        mine = own.read_order_end
        if read.mate_is_reverse:
            theirs = Breakend(mate_chrom, mate_start + 1, "above")
        else:
            theirs = Breakend(mate_chrom, mate_start + mate_len, "below")
        if read.has_tag("MQ"):
            self._note_mapq(name, int(read.get_tag("MQ")))
        reason = "duplicates" if duplicate else None
        self._pairs.append(Observation(name, "mates", mine, theirs, reason))

    def _note_mapq(self, fragment: str, mapq: int) -> None:
        self._pair_mapq[fragment] = min(mapq, self._pair_mapq.get(fragment, mapq))

    def finish(self) -> list[Observation]:
        """All observations.  A pair is judged by the lower MAPQ of its two mates, known only
        once both were read (aligners such as STAR write no MQ tag)."""
        pairs = [
            replace(o, filter="low_mapq")
            if o.filter is None and self._pair_mapq[o.fragment] < self.t.min_mapq
            else o
            for o in self._pairs
        ]
        return self.observations + pairs
