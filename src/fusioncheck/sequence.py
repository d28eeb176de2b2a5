"""Reference sequence of the known genes: matching soft clips to a partner, fusion proteins.

Only the gene windows are read from the FASTA (a few hundred kilobases), never a chromosome.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pysam

from fusioncheck.evidence import Breakend
from fusioncheck.genes import ContigStyle, GeneModels, Transcript

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
        flank: int,
        max_mismatch_rate: float,
        k: int = 16,
    ) -> None:
        self.reference = reference
        self.style = style
        self.flank = flank
        self.k = k
        self.max_mismatch_rate = max_mismatch_rate
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
        for window in models.target_windows(self.flank):
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


def _oriented_base(fasta: pysam.FastaFile, style: ContigStyle, chrom: str, pos: int, plus: bool):
    base = fasta.fetch(style.to_bam(chrom), pos - 1, pos).upper()
    return base if plus else reverse_complement(base)


def slide_to_five_prime(
    fasta: pysam.FastaFile, style: ContigStyle, five: Breakend, three: Breakend, limit: int = 50
) -> tuple[Breakend, Breakend]:
    """Move a join through its microhomology so the 5' partner keeps every base it can.

    Where the bases next to a genomic join are the same on both partners, aligners may place
    the break anywhere in that stretch; one fixed choice makes calls from different aligners
    (and runs) agree.  RNA joins are placed at exon boundaries instead.
    """
    step5 = 1 if five.keeps == "below" else -1
    step3 = 1 if three.keeps == "above" else -1
    for _ in range(limit):
        nxt = five.pos + step5
        if _oriented_base(fasta, style, five.chrom, nxt, step5 == 1) != _oriented_base(
            fasta, style, three.chrom, three.pos, step3 == 1
        ):
            break
        five = Breakend(five.chrom, nxt, five.keeps)
        three = Breakend(three.chrom, three.pos + step3, three.keeps)
    return five, three


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

    return str(Seq(fused).translate(to_stop=True))
