"""Reference sequence of the known genes: matching soft clips to a partner, fusion proteins.

Only the gene windows are read from the FASTA (a few hundred kilobases), never a chromosome.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import ContigStyle, GeneModels, Transcript, Window
from fusioncheck.model import Breakend, Side

_COMPLEMENT = str.maketrans("ACGTNacgtn", "TGCANtgcan")


def reverse_complement(seq: str) -> str:
    return seq.translate(_COMPLEMENT)[::-1]


@dataclass(frozen=True)
class _Track:
    """A stretch of reference: genomic window (forward) or spliced transcript (5'->3')."""

    gene: str
    chrom: str
    seq: str
    positions: tuple[int, ...]  # genomic position (1-based) of each base
    ascending: bool


def _transcript_sequence(fasta: pysam.FastaFile, tx: Transcript, style: ContigStyle) -> str:
    parts = [fasta.fetch(style.to_bam(tx.chrom), e.start - 1, e.end).upper() for e in tx.exons]
    if tx.strand == "-":
        return "".join(reverse_complement(p) for p in parts)
    return "".join(parts)


def _transcript_positions(tx: Transcript) -> tuple[int, ...]:
    out: list[int] = []
    for e in tx.exons:
        span = range(e.start, e.end + 1)
        out.extend(span if tx.strand == "+" else reversed(span))
    return tuple(out)


class PartnerIndex:
    """k-mer index over every known gene's spliced transcript and the target genes' genomic
    windows.

    :meth:`match` places a clipped sequence on the partner and returns the partner breakend
    adjacent to the junction.
    """

    def __init__(
        self,
        reference: Path,
        models: GeneModels,
        style: ContigStyle,
        windows: tuple[Window, ...],
        t: Thresholds,
    ) -> None:
        self.reference = reference
        self.style = style
        self.windows = windows
        self.k = t.kmer
        self.max_mismatch_rate = t.max_clip_mismatch_rate
        self.xdrop_mismatch = t.xdrop_mismatch
        self.xdrop = t.xdrop
        self.models = models
        self._tracks: list[_Track] | None = None
        self._kmers: dict[str, list[tuple[int, int]]] = defaultdict(list)

    @property
    def tracks(self) -> list[_Track]:
        """Built on first use: most scans meet no soft clip that needs a partner."""
        if self._tracks is None:
            with pysam.FastaFile(str(self.reference)) as fasta:
                self._tracks = self._read_tracks(fasta)
            for t, track in enumerate(self._tracks):
                seq = track.seq
                for i in range(len(seq) - self.k + 1):
                    kmer = seq[i : i + self.k]
                    if "N" not in kmer:
                        self._kmers[kmer].append((t, i))
        return self._tracks

    def _read_tracks(self, fasta: pysam.FastaFile) -> list[_Track]:
        style, models = self.style, self.models
        tracks = []
        available = set(fasta.references)
        for tx in models.transcripts.values():
            if style.to_bam(tx.chrom) not in available:
                continue  # a FASTA holding only some chromosomes: those partners go unnamed
            tracks.append(
                _Track(
                    tx.gene,
                    tx.chrom,
                    _transcript_sequence(fasta, tx, style),
                    _transcript_positions(tx),
                    tx.strand == "+",
                )
            )
        # Genomic windows only for the two target genes: DNA breaks fall in their introns,
        # while a partner's RNA junction is at its exon boundaries (and DNA aligners write SA).
        for window in self.windows:
            seq = fasta.fetch(style.to_bam(window.chrom), window.start - 1, window.end).upper()
            positions = tuple(range(window.start, window.start + len(seq)))
            tracks.append(_Track(window.gene, window.chrom, seq, positions, True))
        return tracks

    def same_gene(self, hit: Breakend, other: Breakend) -> bool:
        gene = self.models.gene_at(hit.chrom, hit.pos)
        return gene is not None and gene.contains(other.chrom, other.pos)

    def _placements(self, query: str) -> set[tuple[int, int]]:
        """(track, offset) where ``query`` lies with few enough mismatches."""
        k = self.k
        tracks = self.tracks
        found = set()
        limit = max(1, int(len(query) * self.max_mismatch_rate))
        for seed_at in range(0, max(1, len(query) - k + 1), k):
            for t, i in self._kmers.get(query[seed_at : seed_at + k], ()):
                start = i - seed_at
                seq = tracks[t].seq
                if start < 0 or start + len(query) > len(seq):
                    continue
                window = seq[start : start + len(query)]
                mismatches = sum(1 for x, y in zip(query, window) if x != y)
                if mismatches <= limit:
                    found.add((t, start))
        return found

    def match(self, clipped: str, after: bool) -> list[Breakend]:
        """Partner breakends for a clip that follows (``after``) or precedes the anchor in
        reference orientation.  Distinct breakends, sorted."""
        clipped = clipped.upper()
        if len(clipped) < self.k:
            return []
        hits: set[Breakend] = set()
        for query, flipped in ((clipped, False), (reverse_complement(clipped), True)):
            for t, start in self._placements(query):
                track = self.tracks[t]
                first, last = start, start + len(query) - 1
                # The base next to the junction, and whether the kept partner sequence runs
                # up or down the track from it.
                if after != flipped:  # junction at the query's first base, partner runs on
                    at, runs_up_track = first, True
                else:  # junction at the query's last base, partner runs back
                    at, runs_up_track = last, False
                up_genome = runs_up_track == track.ascending
                hits.add(
                    Breakend(track.chrom, track.positions[at], "above" if up_genome else "below")
                )
        return sorted(hits)

    def split_placements(self, read: str, min_anchor: int) -> set[tuple[Breakend, Breakend]]:
        """Junctions explaining an unaligned read as its start on one known gene and its end on
        another: (junction end of the start, junction end of the rest).  Reads aligners left
        unmapped because they cross a fusion junction (HISAT2 does so) are found this way."""
        out: set[tuple[Breakend, Breakend]] = set()
        tracks = self.tracks
        for query in (read.upper(), reverse_complement(read.upper())):
            n = len(query)
            heads = self._extensions(query, from_start=True)
            tails = self._extensions(query, from_start=False)
            for t1, s1, p in heads:
                for t2, s2, q in tails:
                    a, b = tracks[t1], tracks[t2]
                    if a.gene == b.gene or p >= n or q >= n or p + q < n - 2:
                        continue
                    lo, hi = max(min_anchor, n - q), min(p, n - min_anchor)
                    splits = [
                        (self._end_of(a, s1 + x - 1), self._start_of(b, s2 + x))
                        for x in range(lo, hi + 1)
                        if 0 <= s2 + x < len(b.seq)
                    ]
                    if not splits:
                        continue
                    # Where the overlap allows several splits, an exon-boundary pair is the
                    # real one in RNA; otherwise take the longest start.
                    boundary = [j for j in splits if self._at_boundaries(*j)]
                    out.add((boundary or splits)[-1])
        return out

    def _extensions(self, query: str, from_start: bool) -> set[tuple[int, int, int]]:
        """(track, offset of the query's first base on it, matched length) for alignments of
        the query's start (or end), extended with an X-drop score: +1 a match, -4 a
        mismatch (``xdrop_mismatch``), stopping ``xdrop`` below the best; the match length is
        where the score peaked.  Seeds at the end and one and two half-k-mers in."""
        k, n = self.k, len(query)
        found = set()
        for shift in (0, k // 4, k // 2):
            seed_at = shift if from_start else n - k - shift
            if seed_at < 0:
                continue
            for t, i in self._kmers.get(query[seed_at : seed_at + k], ()):
                seq = self.tracks[t].seq
                start = i - seed_at
                score = best = length = 0
                for j in range(n):
                    r = j if from_start else n - 1 - j
                    if not 0 <= start + r < len(seq):
                        break
                    score += 1 if query[r] == seq[start + r] else -self.xdrop_mismatch
                    if score > best:
                        best, length = score, j + 1
                    elif score < best - self.xdrop:
                        break
                found.add((t, start, length))
        return found

    @staticmethod
    def _end_of(track: _Track, offset: int) -> Breakend:
        """The breakend after ``offset`` for a part running up the track to it."""
        keeps: Side = "below" if track.ascending else "above"
        return Breakend(track.chrom, track.positions[offset], keeps)

    @staticmethod
    def _start_of(track: _Track, offset: int) -> Breakend:
        """The breakend before ``offset`` for a part running up the track from it."""
        keeps: Side = "above" if track.ascending else "below"
        return Breakend(track.chrom, track.positions[offset], keeps)

    def _at_boundaries(self, a: Breakend, b: Breakend) -> bool:
        return self.models.at_exon_boundaries(a, b) or self.models.at_exon_boundaries(b, a)


@lru_cache(maxsize=4)
def partner_index(
    reference: Path,
    models: GeneModels,
    style: ContigStyle,
    windows: tuple[Window, ...],
    t: Thresholds,
) -> PartnerIndex:
    """One index per reference and settings in a process: a batch of samples builds it once."""
    return PartnerIndex(reference, models, style, windows, t)


def _oriented_base(
    fasta: pysam.FastaFile, style: ContigStyle, chrom: str, pos: int, plus: bool
) -> str:
    base = str(fasta.fetch(style.to_bam(chrom), pos - 1, pos)).upper()
    return base if plus else reverse_complement(base)


def _slide(
    fasta: pysam.FastaFile,
    style: ContigStyle,
    five: Breakend,
    three: Breakend,
    toward_five: bool,
    limit: int,
) -> list[tuple[Breakend, Breakend]]:
    """The placements of a join reached by sliding it through shared sequence, one base at a
    time, toward the 5' partner's kept side (the 5' partner gains bases) or away from it."""
    step5 = 1 if five.keeps == "below" else -1
    step3 = 1 if three.keeps == "above" else -1
    if not toward_five:
        step5, step3 = -step5, -step3
    out = []
    for _ in range(limit):
        # Toward 5': the 5' partner's next base must equal the 3' partner's first kept base;
        # away: the 5' partner's last kept base must equal the 3' partner's base before it.
        if toward_five:
            a = _oriented_base(fasta, style, five.chrom, five.pos + step5, step5 == 1)
            b = _oriented_base(fasta, style, three.chrom, three.pos, step3 == 1)
        else:
            a = _oriented_base(fasta, style, five.chrom, five.pos, step5 == -1)
            b = _oriented_base(fasta, style, three.chrom, three.pos + step3, step3 == -1)
        if a != b or a == "N":
            break
        five = Breakend(five.chrom, five.pos + step5, five.keeps)
        three = Breakend(three.chrom, three.pos + step3, three.keeps)
        out.append((five, three))
    return out


def equivalent_joins(
    fasta: pysam.FastaFile, style: ContigStyle, five: Breakend, three: Breakend, limit: int
) -> list[tuple[Breakend, Breakend]]:
    """Every placement of a join that gives the same joined sequence, 3'-most first.

    Where the bases next to a join are the same on both partners, aligners place the break
    anywhere in that stretch (BWA-MEM clips a shared base to either side).  The caller picks
    one fixed placement: RNA the exon boundaries among these, DNA the 5'-most.
    """
    away = _slide(fasta, style, five, three, toward_five=False, limit=limit)
    toward = _slide(fasta, style, five, three, toward_five=True, limit=limit)
    return [*reversed(away), (five, three), *toward]


def fusion_protein(
    fasta: pysam.FastaFile,
    style: ContigStyle,
    five: Transcript,
    exon5: int,
    three: Transcript,
    exon3: int,
) -> str | None:
    """Protein of the fusion transcript five[1..exon5] + three[exon3..], from five's start
    codon to the first stop; None when the 5' partner's CDS does not reach the junction."""
    cds = five.cds_tx_range
    if cds is None:
        return None
    five_seq = _transcript_sequence(fasta, five, style)
    junction = five.tx_position(five.donor(exon5))
    three_seq = _transcript_sequence(fasta, three, style)
    acceptor = three.tx_position(three.acceptor(exon3))
    if junction is None or acceptor is None or junction < cds[0]:
        return None
    fused = five_seq[cds[0] - 1 : junction] + three_seq[acceptor - 1 :]
    fused = fused[: len(fused) - len(fused) % 3]
    from Bio.Seq import Seq  # imported here: Biopython's codon tables cost every scan 30 ms

    return str(Seq(fused).translate(to_stop=True))  # type: ignore[no-untyped-call]


def joined_sequence(
    fasta: pysam.FastaFile,
    style: ContigStyle,
    five: Breakend,
    three: Breakend,
    transcripts: tuple[Transcript | None, Transcript | None],
    flank: int,
) -> str:
    """The join, up to ``flank`` bases of each partner, 5' to 3', marked ``5' part|3' part``.
    With a partner's transcript (RNA), its spliced exons; otherwise its genome."""
    left = _partner_bases(fasta, style, five, transcripts[0], flank, is_five=True)
    right = _partner_bases(fasta, style, three, transcripts[1], flank, is_five=False)
    return f"{left}|{right}"


def _partner_bases(
    fasta: pysam.FastaFile,
    style: ContigStyle,
    b: Breakend,
    tx: Transcript | None,
    flank: int,
    is_five: bool,
) -> str:
    """One partner's kept bases next to the join, in fusion order."""
    at = tx.tx_position(b.pos) if tx is not None else None
    # A transcript is read in its own direction; that is the fusion's only for a sense join.
    sense = tx is not None and (tx.strand == "+") == (b.keeps == ("below" if is_five else "above"))
    if tx is not None and at is not None and sense:
        spliced = _transcript_sequence(fasta, tx, style)
        return spliced[max(0, at - flank) : at] if is_five else spliced[at - 1 : at - 1 + flank]
    # The genome: walk from the break into the kept side.
    step = -1 if b.keeps == "below" else 1
    lo = b.pos - flank + 1 if step == -1 else b.pos
    bases = str(fasta.fetch(style.to_bam(b.chrom), max(0, lo - 1), lo - 1 + flank)).upper()
    # Fusion order reads the 5' partner toward the break and the 3' partner away from it.
    ascending = (step == -1) if is_five else (step == 1)
    return bases if ascending else reverse_complement(bases)
