"""Turn alignments into junction observations.

An *observation* says: this fragment joins breakend ``a`` to breakend ``b`` (see
:class:`fusioncheck.model.Observation`).  Four sources, as aligners write them:

* ``SA``: a read split over two loci (STAR ``WithinBAM``, BWA-MEM, minimap2): exact.
* ``soft_clip``: an aligned anchor whose clipped bases match the partner sequence (STAR default,
  HISAT2, UMI-consensus BAMs without SA records): exact, needs the reference FASTA.
* ``unmapped_rescue``: a read the aligner left unmapped beside its mapped mate, explained as a
  start on one known gene and an end on another (HISAT2 writes no junction read otherwise):
  exact, needs the reference FASTA.
* ``mates``: a pair with one mate at each locus: the junction lies beyond both mates.

Each observation carries the facts the filters judge (:mod:`fusioncheck.filters`) and the key
of the molecule it came from (:mod:`fusioncheck.molecules`), so PCR copies count once.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import ContigStyle
from fusioncheck.model import Breakend, Observation
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.sequence import PartnerIndex

log = logging.getLogger(__name__)

_CIGAR_OP = re.compile(r"(\d+)([MIDNSHP=X])")
_CIGAR = re.compile(r"^(\d+[MIDNSHP=X])+$")
_ALIGNED_QUERY_OPS = {0, 1, 7, 8}
_REF_OPS = {0, 2, 3, 7, 8}
_CLIP_OPS = {4, 5}
_OP_CODES = {"M": 0, "I": 1, "D": 2, "N": 3, "S": 4, "H": 5, "P": 6, "=": 7, "X": 8}


class MalformedTag(ValueError):
    """A tag that does not follow the SAM specification."""


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

    def start_after(self, qpos: int) -> Breakend:
        """:attr:`read_order_start` once read bases before ``qpos`` are left to the previous
        segment: BWA-MEM aligns bases both partners share to both segments, and a join must
        use each base once (:func:`fusioncheck.sequence.equivalent_joins` then slides it)."""
        b = self.read_order_start
        k = min(max(0, qpos - self.qstart), self.aligned - 1)
        return Breakend(b.chrom, b.pos - k if self.reverse else b.pos + k, b.keeps)


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


def parse_cigar(text: str) -> list[tuple[int, int]]:
    """``60M40S`` as pysam-style (op, length) pairs; :class:`MalformedTag` if it is not one."""
    if not _CIGAR.match(text):
        raise MalformedTag(f"CIGAR {text!r}")
    return [(_OP_CODES[op], int(n)) for n, op in _CIGAR_OP.findall(text)]


def parse_sa(tag: str, style: ContigStyle) -> Iterator[_Segment]:
    """Segments of an SA tag (``rname,pos,strand,CIGAR,mapQ,NM;``...), as the SAM spec
    defines it; :class:`MalformedTag` for anything else."""
    entries = tag.rstrip(";").split(";")
    for entry in entries:
        parts = entry.split(",")
        if len(parts) != 6 or parts[2] not in ("+", "-"):
            raise MalformedTag(f"SA entry {entry!r}")
        rname, pos, strand, cigar, mapq, nm = parts
        if not (pos.isdigit() and mapq.isdigit() and nm.isdigit()) or int(pos) < 1:
            raise MalformedTag(f"SA entry {entry!r}")
        yield _segment(
            style.from_bam(rname), int(pos) - 1, strand == "-", parse_cigar(cigar), int(mapq)
        )


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
        self,
        style: ContigStyle,
        thresholds: Thresholds,
        index: PartnerIndex | None,
        molecules: MoleculeKeys,
    ) -> None:
        self.style = style
        self.t = thresholds
        self.index = index
        self.molecules = molecules
        self.observations: list[Observation] = []
        #: Anchor ends of clips that matched no known gene (or could not be checked), counted
        #: once per fragment: a break with an unknown partner, or the wrong FASTA, shows here.
        self.unmatched_clips: Counter[Breakend] = Counter()
        #: Unmapped reads beside a mapped mate that could not be checked without a FASTA.
        self.unchecked_unmapped = 0
        #: Reads whose SA or MC tag could not be parsed, and the first of them.
        self.malformed = 0
        self.first_malformed: str | None = None
        self._seen_splits: set[tuple[str, bool]] = set()
        self._seen_pairs: set[str] = set()
        self._pairs: list[Observation] = []
        self._pair_mapq: dict[str, int] = {}
        self._seen_unmatched: set[str] = set()

    def add(self, read: pysam.AlignedSegment) -> None:
        """One alignment (secondary and QC-failed reads are removed before this)."""
        name = str(read.query_name)
        try:
            if read.is_unmapped:
                self._add_unmapped(read, name)
                return
            if read.has_tag("SA"):
                self._add_split(read, name)
            elif not read.is_supplementary:
                self._add_soft_clip(read, name)
            if read.is_paired and not read.mate_is_unmapped and not read.is_proper_pair:
                if not read.is_supplementary:
                    self._add_pair(read, name)
        except MalformedTag as exc:
            self.malformed += 1
            if self.first_malformed is None:
                self.first_malformed = (
                    f"read {name} at {read.reference_name}:{read.reference_start + 1}: {exc}"
                )
                log.warning(
                    "malformed tag (%s); such reads are counted under malformed_tag",
                    self.first_malformed,
                )

    # -- split reads (SA) --------------------------------------------------------------------

    def _add_split(self, read: pysam.AlignedSegment, name: str) -> None:
        key = (name, read.is_read1)
        if key in self._seen_splits:
            return
        segments = sorted(
            [_record_segment(read, self.style), *parse_sa(str(read.get_tag("SA")), self.style)],
            key=lambda s: s.qstart,
        )
        self._seen_splits.add(key)
        molecule = self.molecules.key(read)
        for first, second in zip(segments, segments[1:]):
            self.observations.append(
                Observation(
                    name, molecule, "SA", first.read_order_end, second.start_after(first.qend),
                    duplicate=read.is_duplicate,
                    mapq=min(first.mapq, second.mapq),
                    anchor=min(first.aligned, second.aligned),
                )
            )  # fmt: skip

    # -- soft clips --------------------------------------------------------------------------

    def _clips(self, read: pysam.AlignedSegment) -> list[tuple[Breakend, str]]:
        """(anchor end, clipped bases) for each clip long enough to be placed."""
        cigar = read.cigartuples or []
        seq = read.query_sequence
        if not cigar or seq is None:
            return []
        chrom = self.style.from_bam(str(read.reference_name))
        clips = []
        if cigar[-1][0] == 4 and cigar[-1][1] >= self.t.min_anchor:
            end = read.reference_end or read.reference_start
            clips.append((Breakend(chrom, end, "below"), seq[-cigar[-1][1] :]))
        if cigar[0][0] == 4 and cigar[0][1] >= self.t.min_anchor:
            clips.append((Breakend(chrom, read.reference_start + 1, "above"), seq[: cigar[0][1]]))
        return clips

    def _add_soft_clip(self, read: pysam.AlignedSegment, name: str) -> None:
        for anchor_end, clipped in self._clips(read):
            if self.index is None:
                self._unmatched(read, name, anchor_end)
                continue
            after = anchor_end.keeps == "below"
            hits = self.index.match(clipped, after=after)
            own = [h for h in hits if self.index.same_gene(h, anchor_end)]
            others = [h for h in hits if h not in own]
            if own and not others:
                continue  # the gene's own sequence: a splice the aligner did not split (BWA)
            if not others:
                self._unmatched(read, name, anchor_end)
                continue
            first, second = (anchor_end, others[0]) if after else (others[0], anchor_end)
            self.observations.append(
                Observation(
                    name, self.molecules.key(read), "soft_clip", first, second,
                    duplicate=read.is_duplicate,
                    mapq=read.mapping_quality,
                    anchor=read.query_alignment_length,
                    junction_seq=clipped,
                    placements=len(others),
                    own_gene=bool(own),
                )
            )  # fmt: skip

    def _unmatched(self, read: pysam.AlignedSegment, name: str, anchor: Breakend) -> None:
        if read.is_duplicate or read.mapping_quality < self.t.min_mapq:
            return
        if name not in self._seen_unmatched:
            self._seen_unmatched.add(name)
            self.unmatched_clips[anchor] += 1

    # -- unmapped reads beside a mapped mate -------------------------------------------------

    def _add_unmapped(self, read: pysam.AlignedSegment, name: str) -> None:
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
        for a, b in sorted(junctions)[:1]:
            self.observations.append(
                Observation(
                    name, self.molecules.key(read), "unmapped_rescue", a, b,
                    duplicate=read.is_duplicate,
                    junction_seq=seq,
                    placements=len(junctions),
                )
            )  # fmt: skip

    # -- discordant pairs --------------------------------------------------------------------

    def _add_pair(self, read: pysam.AlignedSegment, name: str) -> None:
        self._note_mapq(name, read.mapping_quality)
        if read.has_tag("MQ"):
            self._note_mapq(name, int(read.get_tag("MQ")))
        if name in self._seen_pairs:
            return
        if read.has_tag("MC"):
            ops = parse_cigar(str(read.get_tag("MC")))
            mate_len = sum(length for op, length in ops if op in _REF_OPS)
        else:
            mate_len = read.query_length or read.infer_read_length() or 0
        self._seen_pairs.add(name)
        mate_chrom = self.style.from_bam(str(read.next_reference_name))
        mate_start = read.next_reference_start
        # A mate points at the junction: forward mates have it above them, reverse below.
        mine = _record_segment(read, self.style).read_order_end
        if read.mate_is_reverse:
            theirs = Breakend(mate_chrom, mate_start + 1, "above")
        else:
            theirs = Breakend(mate_chrom, mate_start + mate_len, "below")
        self._pairs.append(
            Observation(
                name, self.molecules.key(read), "mates", mine, theirs, duplicate=read.is_duplicate
            )
        )

    def _note_mapq(self, fragment: str, mapq: int) -> None:
        self._pair_mapq[fragment] = min(mapq, self._pair_mapq.get(fragment, mapq))

    def finish(self) -> list[Observation]:
        """All observations.  A pair is judged by the lower MAPQ of its two mates, known only
        once both were read (aligners such as STAR write no MQ tag)."""
        pairs = [replace(o, mapq=self._pair_mapq[o.fragment]) for o in self._pairs]
        return self.observations + pairs
