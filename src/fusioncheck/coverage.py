"""Coverage and QC counted on the same pass as the evidence.

Reads per window, duplicates, spliced reads, fragments per exon, and the *informative*
molecules: those that would show the target fusion if it were there (RNA: molecules reading
across a junction exon's edge; DNA: fragment depth over the junction introns).
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import GeneModels
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.target import Partner, Target

_SPLICE = 3  # CIGAR N


class Coverage:
    def __init__(
        self, target: Target, models: GeneModels, t: Thresholds, molecules: MoleculeKeys
    ) -> None:
        self.target = target
        self.models = models
        self.t = t
        self.molecules = molecules
        self.reads: Counter[str] = Counter({p.gene: 0 for p in target.partners})
        self.duplicates = 0
        self.spliced = 0
        self.paired = False
        self.lengths: Counter[int] = Counter()
        self._exon_fragments: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._junction_molecules: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._intron_bases: Counter[tuple[str, int]] = Counter()
        self._exon_bases: Counter[tuple[str, int]] = Counter()
        self._introns = {
            p.gene: [(n, *models[p.gene].intron(n)) for n in p.junction_introns]
            for p in target.partners
        }
        # The junction side of each junction exon: its end for the 5' partner, start for 3'.
        self._edges: dict[tuple[str, int], tuple[int, int]] = {}
        w = t.junction_window
        for p, five in ((target.five_prime, True), (target.three_prime, False)):
            tx = models[p.gene]
            for n in p.junction_exons:
                edge = tx.donor(n) if five else tx.acceptor(n)
                exon = tx.exon(n)
                self._edges[(p.gene, n)] = (
                    (edge - w + 1, edge) if edge == exon.end else (edge, edge + w - 1)
                )

    def add(self, gene: str, read: pysam.AlignedSegment) -> None:
        """One primary or supplementary alignment from ``gene``'s window."""
        if read.is_unmapped:
            return
        if read.is_supplementary:
            self._add_supplementary(gene, read)
            return
        self.reads[gene] += 1
        self.lengths[read.infer_read_length() or 0] += 1
        if read.is_duplicate:
            self.duplicates += 1
            return
        if read.mapping_quality < self.t.min_mapq:
            return
        if any(op == _SPLICE for op, _ in read.cigartuples or ()):
            self.spliced += 1
        if read.is_paired:
            self.paired = True
        first, last = read.reference_start + 1, read.reference_end or read.reference_start
        # Most DNA reads are intronic: compare spans first, read the blocks only when needed.
        exons = [e for e in self.models[gene].exons if e.start <= last and e.end >= first]
        if exons:
            self._add_exons(gene, read, exons)
        self._add_introns(gene, read, first, last)

    def _add_supplementary(self, gene: str, read: pysam.AlignedSegment) -> None:
        """Exon coverage only: a splice-unaware aligner (BWA-MEM on RNA) writes a read across
        an exon junction as a primary and a supplementary record, and the part that touches a
        junction exon's edge is often the supplementary one."""
        if read.is_duplicate or read.mapping_quality < self.t.min_mapq:
            return
        first, last = read.reference_start + 1, read.reference_end or read.reference_start
        exons = [e for e in self.models[gene].exons if e.start <= last and e.end >= first]
        if exons:
            self._add_exons(gene, read, exons)

    def _add_exons(self, gene: str, read: pysam.AlignedSegment, exons: list) -> None:  # type: ignore[type-arg]
        blocks = read.get_blocks()
        name = str(read.query_name)
        for exon in exons:
            if not _overlaps(blocks, exon.start, exon.end):
                continue
            self._exon_fragments[(gene, exon.number)].add(name)
            self._exon_bases[(gene, exon.number)] += sum(
                max(0, min(b_end, exon.end) - max(b_start + 1, exon.start) + 1)
                for b_start, b_end in blocks
            )
            edge = self._edges.get((gene, exon.number))
            if edge is not None and _overlaps(blocks, *edge):
                self._junction_molecules[(gene, exon.number)].add(self.molecules.key(read))

    def _add_introns(self, gene: str, read: pysam.AlignedSegment, first: int, last: int) -> None:
        """Fragment bases over the introns where DNA breaks fall: each fragment once, from its
        leftmost mate, over its whole span (the insert counts: a break there is seen too)."""
        if read.is_paired and not (read.is_proper_pair and read.template_length > 0):
            return
        if read.is_paired:
            last = read.reference_start + read.template_length
        for n, lo, hi in self._introns[gene]:
            self._intron_bases[(gene, n)] += max(0, min(hi, last) - max(lo, first) + 1)

    # -- summaries ---------------------------------------------------------------------------

    @property
    def total_reads(self) -> int:
        return sum(self.reads.values())

    @property
    def read_length(self) -> int:
        return self.lengths.most_common(1)[0][0] if self.lengths else 0

    def is_rna(self) -> bool:
        """Spliced reads make up at least ``rna_spliced_fraction`` of the reads."""
        return self.spliced >= max(1, self.t.rna_spliced_fraction * self.total_reads)

    def exon_depth(self, gene: str, exons: tuple[int, ...]) -> float:
        """Mean read depth over the given exons of ``gene`` (aligned bases / exon bases)."""
        tx = self.models[gene]
        bases = sum(self._exon_bases[(gene, n)] for n in exons)
        return bases / sum(tx.exon(n).length for n in exons)

    def exon_coverage(self) -> dict[str, list[int]]:
        return {
            p.gene: [
                len(self._exon_fragments[(p.gene, e.number)]) for e in self.models[p.gene].exons
            ]
            for p in self.target.partners
        }

    def junction_exon_coverage(self) -> dict[str, float]:
        return {
            f"{p.gene} exon {n}": float(len(self._junction_molecules[(p.gene, n)]))
            for p in self.target.partners
            for n in p.junction_exons
        }

    def informative(self, partner: Partner, rna: bool) -> float:
        """Molecules that would show a fusion on this side. RNA: the least covered junction
        exon edge; DNA: mean fragment depth (inserts included) over the least covered junction
        intron."""
        if rna:
            return float(
                min(
                    len(self._junction_molecules[(partner.gene, n)]) for n in partner.junction_exons
                )
            )
        tx = self.models[partner.gene]

        def depth(n: int) -> float:
            lo, hi = tx.intron(n)
            return self._intron_bases[(partner.gene, n)] / (hi - lo + 1)

        return round(min(depth(n) for n in partner.junction_introns), 1)


def _overlaps(blocks: list[tuple[int, int]], start: int, end: int) -> bool:
    """Do 0-based half-open ``blocks`` overlap the 1-based closed ``start..end``?"""
    return any(b_start < end and b_end >= start for b_start, b_end in blocks)
