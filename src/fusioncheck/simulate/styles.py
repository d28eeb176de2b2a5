"""How each aligner writes a read pair: which alignments, clips, flags, MAPQ and tags.

* ``star_chimeric`` (STAR ``--chimOutType WithinBAM``): a read across a junction is a primary
  (soft-clipped) plus a hard-clipped supplementary, linked by ``SA``; MAPQ 255, multi-mappers 3.
* ``star`` (STAR default): no chimeric output.  A pair is written only as one linear alignment
  covering >= 66% of the pair's bases (``outFilterMatchNminOverLread``); junction reads become
  soft-clipped anchors, pairs across chromosomes disappear.
* ``hisat2``: every read aligned on its longest part, the rest soft-clipped, no ``SA``;
  discordant pairs are reported (``YT:Z:DP``).  Real HISAT2 2.2 leaves most reads that cross a
  fusion junction unmapped beside their mate instead; tests/test_real_aligners.py runs it and
  checks the scan's rescue of those reads.
* ``bwa`` (BWA-MEM): like ``star_chimeric`` with MAPQ 60, multi-mappers 0 with an ``XA`` tag.
  BWA-MEM does not splice: on RNA every exon a read touches is its own local alignment, so a
  normal splice reads as a primary plus a supplementary (``SA``), or a soft clip when the
  exon part is shorter than ``MIN_SEGMENT``.

Without supplementary records (``supplementary=False``, as in UMI-consensus BAMs) a read
across a junction keeps only its primary alignment, soft-clipped.  Single-end fragments (one
read) have no mate fields and no pairing flags.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fusioncheck.genes import ContigStyle
from fusioncheck.sequence import reverse_complement
from fusioncheck.simulate.fragments import Fragment, Group, Read
from fusioncheck.simulate.genome import Genome

RNA_STYLES = ("star_chimeric", "star", "hisat2")
DNA_STYLES = ("bwa",)
#: Record styles a simulated RNA library may be written in (BWA-MEM on panel RNA included).
RNA_ALIGNERS = (*RNA_STYLES, "bwa")
#: Shortest part of a read an aligner places on its own (STAR chimSegmentMin, BWA seeds).
MIN_SEGMENT = 20
#: STAR's outFilterMatchNminOverLread / outFilterScoreMinOverLread default.
STAR_MIN_PAIR_FRACTION = 0.66
_UNIQUE_MAPQ = {"star_chimeric": 255, "star": 255, "hisat2": 60, "bwa": 60}
_MULTI_MAPQ = {"star_chimeric": 3, "star": 3, "hisat2": 1, "bwa": 0}
_OPS = "MIDNSHP=X"


def cigar_string(cigar: list[tuple[int, int]]) -> str:
    return "".join(f"{n}{_OPS[op]}" for op, n in cigar)


@dataclass
class Alignment:
    """One SAM record in the making."""

    read: Read
    group: Group
    reverse: bool
    pos: int  # 1-based leftmost aligned base
    end: int  # 1-based last aligned base
    cigar: list[tuple[int, int]]  # with the clips as soft clips
    seq: str  # SEQ as a soft-clipped record stores it (genome orientation)
    qual: str
    left: int  # clipped bases before / after the aligned part (SEQ orientation)
    right: int
    nm: int
    md: str
    mapq: int = 0
    supplementary: bool = False
    multi: bool = False
    tags: dict[str, Any] = field(default_factory=dict)

    def cigar_out(self) -> list[tuple[int, int]]:
        """The record's CIGAR: supplementaries hard-clipped."""
        if not self.supplementary:
            return self.cigar
        return [(5 if op == 4 else op, n) for op, n in self.cigar]

    def seq_out(self) -> tuple[str, str]:
        if not self.supplementary:
            return self.seq, self.qual
        stop = len(self.seq) - self.right
        return self.seq[self.left : stop], self.qual[self.left : stop]


def _qualities(read: Read) -> str:
    quals = ["I"] * len(read.seq)
    for i in read.errors:
        quals[i] = "+"
    return "".join(quals)


def align(read: Read, group: Group, genome: Genome) -> Alignment:
    """``read`` aligned over the bases of ``group``, the rest of it clipped."""
    length = len(read.seq)
    reverse = group.genome_reverse != (not read.sense)
    seq, qual = read.seq, _qualities(read)
    if reverse:
        seq, qual = reverse_complement(seq), qual[::-1]
    q0, q1 = read.query_range(group)
    left, right = (length - q1, q0) if reverse else (q0, length - q1)
    cigar: list[tuple[int, int]] = [(4, left)] if left else []
    prev_end = None
    ref_parts = []
    for s, e in group.blocks:
        if prev_end is not None:
            cigar.append((3, s - prev_end - 1))
        cigar.append((0, e - s + 1))
        ref_parts.append(genome.fetch(group.chrom, s, e))
        prev_end = e
    if right:
        cigar.append((4, right))
    ref = "".join(ref_parts)
    aligned = seq[left : length - right]
    assert len(ref) == len(aligned)
    md: list[str] = []
    run = nm = 0
    for r, q in zip(ref, aligned):
        if r == q:
            run += 1
        else:
            md.append(f"{run}{r}")
            run = 0
            nm += 1
    md.append(str(run))
    return Alignment(
        read=read,
        group=group,
        reverse=reverse,
        pos=group.blocks[0][0],
        end=group.blocks[-1][1],
        cigar=cigar,
        seq=seq,
        qual=qual,
        left=left,
        right=right,
        nm=nm,
        md="".join(md),
    )


def _key(read: Read, group: Group) -> tuple[str, int]:
    return read.template.name, group.part


def _longest(groups: list[Group]) -> Group:
    best = groups[0]
    for g in groups[1:]:
        if g.t1 - g.t0 > best.t1 - best.t0:
            best = g
    return best


def _per_exon(group: Group) -> list[Group]:
    """A spliced group as one group per exon block (how an aligner that cannot splice sees
    it), in read-template order."""
    if len(group.blocks) == 1:
        return [group]
    ordered = group.blocks[::-1] if group.genome_reverse else group.blocks
    out = []
    t = group.t0
    for s, e in ordered:
        out.append(
            Group(group.part, group.chrom, group.genome_reverse, t, t + e - s + 1, ((s, e),))
        )
        t += e - s + 1
    return out


def place(
    frag: Fragment, aligner: str, genome: Genome, supplementary: bool = True
) -> list[list[Alignment]] | None:
    """Each read's alignments, primary first; None when the aligner would not write the pair.

    ``supplementary=False``: only the primary alignment of each read (soft-clipped)."""
    reads = frag.reads
    if aligner == "star":
        totals: dict[tuple[str, int], int] = {}
        for r in reads:
            for g in r.groups():
                totals[_key(r, g)] = totals.get(_key(r, g), 0) + g.t1 - g.t0
        best = max(totals.items(), key=lambda kv: kv[1])
        if best[1] < STAR_MIN_PAIR_FRACTION * sum(len(r.seq) for r in reads):
            return None
        chosen = []
        for r in reads:
            gs = [g for g in r.groups() if _key(r, g) == best[0]]
            if not gs:
                return None
            chosen.append([align(r, gs[0], genome)])
        return chosen
    if aligner == "hisat2":
        return [[align(r, _longest(r.groups()), genome)] for r in reads]
    out = []
    for r in reads:
        groups = r.groups()
        if aligner == "bwa":
            groups = [piece for g in groups for piece in _per_exon(g)]
        long_enough = [g for g in groups if g.t1 - g.t0 >= MIN_SEGMENT] or [_longest(groups)]
        primary = _longest(long_enough)
        alns = [align(r, primary, genome)]
        for g in long_enough if supplementary else ():
            if g is not primary:
                a = align(r, g, genome)
                a.supplementary = True
                alns.append(a)
        out.append(alns)
    return out


def _sa_entry(a: Alignment, style: ContigStyle) -> str:
    strand = "-" if a.reverse else "+"
    return (
        f"{style.to_bam(a.group.chrom)},{a.pos},{strand},{cigar_string(a.cigar)},{a.mapq},{a.nm};"
    )


def _xa(a: Alignment, genome: Genome, style: ContigStyle, paralog: tuple[str, int, int]) -> str:
    """BWA's XA entry for the alignment's copy in the processed pseudogene.

    The pseudogene is exon ``e`` of TFE3 in transcript orientation on the + strand, so a
    base at genomic g of the (minus-strand) exon sits at copy_start + (exon_end - g)."""
    chrom, copy_start, exon_end = paralog
    pos = copy_start + exon_end - a.end
    cigar = cigar_string(a.cigar[::-1])
    strand = "+" if a.reverse else "-"
    return f"{style.to_bam(chrom)},{strand}{pos},{cigar},{a.nm};"


def _pairing(placed: list[list[Alignment]]) -> tuple[bool, list[int]]:
    """Whether the pair is concordant (proper-pair flag) and each read's TLEN."""
    if len(placed) == 1:
        return False, [0]
    p1, p2 = placed[0][0], placed[1][0]
    concordant = (
        _key(p1.read, p1.group) == _key(p2.read, p2.group)
        and p1.group.chrom == p2.group.chrom
        and p1.reverse != p2.reverse
    )
    tlen = [0, 0]
    if p1.group.chrom == p2.group.chrom:
        span = max(p1.end, p2.end) - min(p1.pos, p2.pos) + 1
        first = 0 if (p1.pos, 0) <= (p2.pos, 1) else 1
        tlen[first], tlen[1 - first] = span, -span
    return concordant, tlen


def _aligner_tags(
    a: Alignment, seq: str, aligner: str, concordant: bool, paired: bool, xa: str | None
) -> list[tuple[str, object]]:
    tags: list[tuple[str, object]] = []
    if aligner in ("star", "star_chimeric"):
        tags += [("NH", 2 if a.multi else 1), ("HI", 1)]
        tags += [("AS", len(seq) - 2 * a.nm), ("nM", a.nm)]
    elif aligner == "hisat2":
        pairing = ("CP" if concordant else "DP") if paired else "UU"
        tags += [("AS", -6 * a.nm - (a.left + a.right)), ("XM", a.nm)]
        tags += [("YT", pairing), ("NH", 2 if a.multi else 1)]
    else:
        tags += [("AS", len(seq) - 5 * a.nm), ("XS", len(seq) - 5 * a.nm if a.multi else 0)]
        if xa is not None:
            tags.append(("XA", xa))
    return tags


def finish(
    frag: Fragment,
    placed: list[list[Alignment]],
    aligner: str,
    style: ContigStyle,
    genome: Genome,
    paralog: tuple[str, int, int],
) -> list[dict[str, Any]]:
    """SAM fields of every record of the pair or single read (flags, mates, tags)."""
    for alns in placed:
        for a in alns:
            a.multi = frag.source == "paralog" and a.group.part == 1
            a.mapq = _MULTI_MAPQ[aligner] if a.multi else _UNIQUE_MAPQ[aligner]
    paired = len(placed) == 2
    concordant, tlen = _pairing(placed)
    records = []
    for i, alns in enumerate(placed):
        mate = placed[1 - i][0] if paired else None
        for j, a in enumerate(alns):
            flag = (0x1 | (0x40 if i == 0 else 0x80)) if paired else 0
            flag |= 0x2 if concordant else 0
            flag |= 0x10 if a.reverse else 0
            flag |= 0x20 if mate is not None and mate.reverse else 0
            flag |= 0x800 if a.supplementary else 0
            flag |= 0x400 if frag.duplicate_of else 0
            seq, qual = a.seq_out()
            xa = _xa(a, genome, style, paralog) if a.multi and aligner == "bwa" else None
            tags = _aligner_tags(a, seq, aligner, concordant, paired, xa)
            tags += [("NM", a.nm), ("MD", a.md)]
            if mate is not None:
                tags.append(("MC", cigar_string(mate.cigar)))
            if len(alns) > 1:
                others = [alns[k] for k in range(len(alns)) if k != j]
                tags.append(("SA", "".join(_sa_entry(o, style) for o in others)))
            records.append(
                dict(
                    name=frag.name,
                    flag=flag,
                    chrom=style.to_bam(a.group.chrom),
                    pos=a.pos,
                    mapq=a.mapq,
                    cigar=a.cigar_out(),
                    mate_chrom=style.to_bam(mate.group.chrom) if mate is not None else None,
                    mate_pos=mate.pos if mate is not None else 0,
                    tlen=0 if a.supplementary else tlen[i],
                    seq=seq,
                    qual=qual,
                    tags=tags,
                )
            )
    return records
