"""Coverage and QC counted on the same pass as the evidence.

Reads per window, duplicates, spliced reads, fragments per exon, and the *informative*
molecules: those that would show the target fusion if it were there (RNA: molecules reading
across a junction exon's edge; DNA: fragment depth over the junction introns).

On a targeted panel every read of the file is counted, so the counting per read is compiled:
:mod:`fusioncheck.readloop` counts each chunk of a window into a :class:`Tally` (reads, exons,
introns) and hands the alignments over a junction exon's edge to
:meth:`Coverage.junction_molecule`, which collects their molecules.  This module sets the
counting up and sums it into what the scan reports.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import Exon, GeneModels
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.target import Partner, Target

_ExonKey = tuple[str, int]  # (gene, exon number)


@dataclass
class Tally:
    """What reading counted: plain data, so a worker process can hand it back, and summed
    over the chunks of a parallel read by :meth:`merge` (in genomic order)."""

    reads: Counter[str]
    lengths: Counter[int] = field(default_factory=Counter)
    duplicates: int = 0
    spliced: int = 0
    paired: bool = False
    exon_fragments: Counter[_ExonKey] = field(default_factory=Counter)
    exon_bases: Counter[_ExonKey] = field(default_factory=Counter)
    intron_bases: Counter[tuple[str, int]] = field(default_factory=Counter)
    junction_molecules: defaultdict[_ExonKey, set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    #: Fragments counted on an exon by a chunk whose other records may lie in another chunk
    #: ((exon, fragment key) -> how far on they may start): :meth:`merge` counts them once.
    #: The keys hash read names: worker processes are forked, so they hash alike.
    open: dict[tuple[_ExonKey, int], int] = field(default_factory=dict)

    def merge(self, later: Tally) -> None:
        """Add the counts of the next chunk of the same windows.  A fragment counted in both
        (a record on each side of the boundary) was left open by both: it counts once."""
        held = dict(later.open)  # (exon, fragment key) -> until
        for fragment in self.open.keys() & held.keys():
            self.exon_fragments[fragment[0]] -= 1
            held[fragment] = max(held[fragment], self.open[fragment])
        self.open.update(held)
        self.reads.update(later.reads)
        self.lengths.update(later.lengths)
        self.duplicates += later.duplicates
        self.spliced += later.spliced
        self.paired = self.paired or later.paired
        self.exon_fragments.update(later.exon_fragments)
        self.exon_bases.update(later.exon_bases)
        self.intron_bases.update(later.intron_bases)
        for key, molecules in later.junction_molecules.items():
            self.junction_molecules[key] |= molecules


@dataclass(frozen=True)
class _Edge:
    """A junction exon's junction-side window (1-based closed) and the exon itself."""

    key: _ExonKey
    lo: int
    hi: int
    exon: Exon


@dataclass(frozen=True)
class ExonLayout:
    """A gene's exons in genomic order, as the read loop counts them."""

    gene: str
    keys: tuple[_ExonKey, ...]
    starts: tuple[int, ...]  # 1-based first base of each exon
    ends: tuple[int, ...]  # 1-based last base
    edges: tuple[_Edge, ...]
    edge_span: tuple[int, int]  # first and last base of all the edges' windows
    introns: tuple[tuple[int, int, int], ...]  # junction introns (number, start, end)


class Coverage:
    def __init__(
        self, target: Target, models: GeneModels, t: Thresholds, molecules: MoleculeKeys
    ) -> None:
        self.target = target
        self.models = models
        self.t = t
        self.molecules = molecules
        self.tally = Tally(Counter({p.gene: 0 for p in target.partners}))
        edges = _junction_edges(target, models, t.junction_window)
        self._layouts = {p.gene: _layout(models, p, edges) for p in target.partners}

    def empty(self) -> Coverage:
        """A new, empty coverage counted the same way (for a worker process)."""
        keys = MoleculeKeys(self.molecules.mode, self.molecules.separator)
        return Coverage(self.target, self.models, self.t, keys)

    def layout(self, gene: str) -> ExonLayout:
        return self._layouts[gene]

    def junction_molecule(self, edge: _ExonKey, read: pysam.AlignedSegment) -> None:
        """``read``, counted, has aligned bases on junction exon ``edge`` and on the exon's
        junction-side window: its molecule shows the exon's edge."""
        self.tally.junction_molecules[edge].add(self.molecules.key(read))

    # -- summaries ---------------------------------------------------------------------------

    @property
    def reads(self) -> Counter[str]:
        return self.tally.reads

    @property
    def duplicates(self) -> int:
        return self.tally.duplicates

    @property
    def spliced(self) -> int:
        return self.tally.spliced

    @property
    def paired(self) -> bool:
        return self.tally.paired

    @property
    def total_reads(self) -> int:
        return sum(self.tally.reads.values())

    @property
    def read_length(self) -> int:
        lengths = self.tally.lengths
        return lengths.most_common(1)[0][0] if lengths else 0

    def is_rna(self) -> bool:
        """Spliced reads make up at least ``rna_spliced_fraction`` of the reads."""
        return self.spliced >= max(1, self.t.rna_spliced_fraction * self.total_reads)

    def exon_depth(self, gene: str, exons: tuple[int, ...]) -> float:
        """Mean read depth over the given exons of ``gene`` (aligned bases / exon bases)."""
        tx = self.models[gene]
        bases = sum(self.tally.exon_bases[(gene, n)] for n in exons)
        return bases / sum(tx.exon(n).length for n in exons)

    def exon_coverage(self) -> dict[str, list[int]]:
        """Fragments per exon of each gene, in exon-number order."""
        return {
            p.gene: [
                self.tally.exon_fragments[(p.gene, e.number)] for e in self.models[p.gene].exons
            ]
            for p in self.target.partners
        }

    def junction_exon_coverage(self) -> dict[str, float]:
        return {
            f"{p.gene} exon {n}": float(len(self.tally.junction_molecules[(p.gene, n)]))
            for p in self.target.partners
            for n in p.junction_exons
        }

    def informative(self, partner: Partner, rna: bool) -> float:
        """Molecules that would show a fusion on this side. RNA: the least covered junction
        exon edge; DNA: mean fragment depth (inserts included) over the least covered junction
        intron."""
        molecules = self.tally.junction_molecules
        if rna:
            return float(min(len(molecules[(partner.gene, n)]) for n in partner.junction_exons))
        tx = self.models[partner.gene]

        def depth(n: int) -> float:
            lo, hi = tx.intron(n)
            return self.tally.intron_bases[(partner.gene, n)] / (hi - lo + 1)

        return round(min(depth(n) for n in partner.junction_introns), 1)


def _junction_edges(
    target: Target, models: GeneModels, window: int
) -> dict[_ExonKey, tuple[int, int]]:
    """The junction side of each junction exon (its end for the 5' partner, its start for the
    3'), ``window`` bases long, 1-based closed."""
    edges = {}
    for p, five in ((target.five_prime, True), (target.three_prime, False)):
        tx = models[p.gene]
        for n in p.junction_exons:
            edge = tx.donor(n) if five else tx.acceptor(n)
            exon = tx.exon(n)
            edges[(p.gene, n)] = (
                (edge - window + 1, edge) if edge == exon.end else (edge, edge + window - 1)
            )
    return edges


def _layout(models: GeneModels, p: Partner, edges: dict[_ExonKey, tuple[int, int]]) -> ExonLayout:
    exons = tuple(sorted(models[p.gene].exons, key=lambda e: e.start))
    if any(a.end >= b.start for a, b in zip(exons, exons[1:])):
        raise ValueError(f"{p.gene}: the gene model's exons overlap")
    keys = tuple((p.gene, e.number) for e in exons)
    found = tuple(_Edge(k, *edges[k], e) for k, e in zip(keys, exons) if k in edges)
    return ExonLayout(
        gene=p.gene,
        keys=keys,
        starts=tuple(e.start for e in exons),
        ends=tuple(e.end for e in exons),
        edges=found,
        edge_span=(
            min((e.lo for e in found), default=1),
            max((e.hi for e in found), default=0),
        ),
        introns=tuple((n, *models[p.gene].intron(n)) for n in p.junction_introns),
    )
