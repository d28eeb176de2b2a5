"""Coverage and QC counted on the same pass as the evidence.

Reads per window, duplicates, spliced reads, fragments per exon, and the *informative*
molecules: those that would show the target fusion if it were there (RNA: molecules reading
across a junction exon's edge; DNA: fragment depth over the junction introns).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import Exon, GeneModels
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.target import Partner, Target

_SPLICE = 3  # CIGAR N
_PAIRED, _PROPER, _MATE_UNMAPPED, _DUPLICATE, _SUPPLEMENTARY = 0x1, 0x2, 0x8, 0x400, 0x800
_PAIR_BITS, _PROPER_PAIR = _PAIRED | _PROPER | _MATE_UNMAPPED, _PAIRED | _PROPER
_ExonKey = tuple[str, int]  # (gene, exon number)
_FOREVER = 1 << 62  # a mate start no read reaches: held until the end of the window


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
    #: Per exon, fragments counted from one read whose other read is still to come (read name
    #: -> that mate's start): a fragment counts once, and only fragments in flight are held.
    pending: defaultdict[_ExonKey, dict[str, int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    #: Per exon, fragments with a split read (SA or supplementary records), held for the window.
    held: defaultdict[_ExonKey, set[str]] = field(default_factory=lambda: defaultdict(set))
    #: Per gene, names of split reads seen (whether or not on an exon).
    split: defaultdict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def merge(self, later: Tally) -> None:
        """Add the counts of the next chunk of the same windows.  A fragment counted in both
        (a read on each side of the boundary) was held by both: it counts once."""
        for key, names in later.pending.items():
            pending, held = self.pending[key], self.held.get(key, set())
            for name, mate in names.items():
                if pending.pop(name, None) is not None or name in held:
                    self.exon_fragments[key] -= 1
                else:
                    pending[name] = mate
        for key, held_names in later.held.items():
            waiting, kept = self.pending[key], self.held[key]
            for name in held_names:
                if waiting.pop(name, None) is not None or name in kept:
                    self.exon_fragments[key] -= 1
            kept |= held_names
        for gene, split_names in later.split.items():
            self.split[gene] |= split_names
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
class _Gene:
    """A gene's exons in genomic order, for finding a read's exons by bisection."""

    keys: tuple[_ExonKey, ...]
    exons: tuple[Exon, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    edges: tuple[tuple[int, int] | None, ...]  # junction-side window of a junction exon
    gene: str
    introns: tuple[tuple[int, int, int], ...]  # junction introns (number, start, end)
    intron_span: tuple[int, int]  # first and last base of all of them


class Coverage:
    def __init__(
        self, target: Target, models: GeneModels, t: Thresholds, molecules: MoleculeKeys
    ) -> None:
        self.target = target
        self.models = models
        self.t = t
        self.molecules = molecules
        self.tally = Tally(Counter({p.gene: 0 for p in target.partners}))
        # Reads with disabled filters may repeat a name (secondary records): keep every name.
        self._keep_names = "secondary" in t.disabled_filters
        self._chunk_start = -1
        self._min_mapq = t.min_mapq
        edges = _junction_edges(target, models, t.junction_window)
        self._genes = {p.gene: _gene(models, p, edges) for p in target.partners}

    def empty(self) -> Coverage:
        """A new, empty coverage counted the same way (for a worker process)."""
        keys = MoleculeKeys(self.molecules.mode, self.molecules.separator)
        return Coverage(self.target, self.models, self.t, keys)

    def add_simple(
        self, gene: str, read: pysam.AlignedSegment, flag: int, length: int, split: bool
    ) -> None:
        """:meth:`add` for a primary alignment whose CIGAR is one aligned block of ``length``
        (most reads; ``split``: it has an SA tag): the same counts from the flag and
        positions alone."""
        tally = self.tally
        if split:
            tally.split[gene].add(str(read.query_name))
        tally.reads[gene] += 1
        tally.lengths[length] += 1
        if flag & _DUPLICATE:
            tally.duplicates += 1
            return
        if read.mapping_quality < self._min_mapq:
            return
        tally.paired = tally.paired or bool(flag & _PAIRED)
        start = read.reference_start
        end = start + length
        self._add_blocks(self._genes[gene], read, flag, ((start, end),), start + 1, end)

    def add(self, gene: str, read: pysam.AlignedSegment) -> None:
        """One primary or supplementary alignment from ``gene``'s window."""
        if read.is_unmapped:
            return
        if read.is_supplementary or read.has_tag("SA"):
            self.tally.split[gene].add(str(read.query_name))
        if read.is_supplementary:
            self._add_supplementary(gene, read)
            return
        tally = self.tally
        tally.reads[gene] += 1
        tally.lengths[read.infer_read_length() or 0] += 1
        if read.is_duplicate:
            tally.duplicates += 1
            return
        if read.mapping_quality < self._min_mapq:
            return
        if any(op == _SPLICE for op, _ in read.cigartuples or ()):
            tally.spliced += 1
        tally.paired = tally.paired or read.is_paired
        first, last = read.reference_start + 1, read.reference_end or read.reference_start
        self._add_blocks(self._genes[gene], read, read.flag, read.get_blocks(), first, last)

    def _add_supplementary(self, gene: str, read: pysam.AlignedSegment) -> None:
        """Exon coverage only: a splice-unaware aligner (BWA-MEM on RNA) writes a read across
        an exon junction as a primary and a supplementary record, and the part that touches a
        junction exon's edge is often the supplementary one."""
        if read.is_duplicate or read.mapping_quality < self._min_mapq:
            return
        self._add_blocks(self._genes[gene], read, read.flag, read.get_blocks(), 0, -1)

    def _add_blocks(
        self,
        g: _Gene,
        read: pysam.AlignedSegment,
        flag: int,
        blocks: Sequence[tuple[int, int]],
        first: int,
        last: int,
    ) -> None:
        """Exons and junction edges the aligned ``blocks`` (0-based, half-open) of a read of
        ``g`` cover, and junction introns its span ``first..last`` (1-based; none if empty)."""
        tally = self.tally
        bases: dict[int, int] = {}  # exon index -> aligned bases on it
        for b_start, b_end in blocks:
            for i in range(bisect_left(g.ends, b_start + 1), bisect_right(g.starts, b_end)):
                exon = g.exons[i]
                overlap = min(b_end, exon.end) - max(b_start + 1, exon.start) + 1
                bases[i] = bases.get(i, 0) + overlap
        for i, n in bases.items():
            key, edge = g.keys[i], g.edges[i]
            self._count_fragment(key, read, flag)
            tally.exon_bases[key] += n
            if edge is not None and _overlaps(blocks, *edge):
                tally.junction_molecules[key].add(self.molecules.key(read))
        if 0 < first <= g.intron_span[1]:
            self._add_introns(g, read, flag, first, last)

    def _count_fragment(self, key: _ExonKey, read: pysam.AlignedSegment, flag: int) -> None:
        """Count the read's fragment on an exon once.  A plain pair has two records: the name
        is held until the mate has been seen.  A split read (SA tag, supplementary records)
        has more, anywhere in the window: its fragment's name is held for the window."""
        name = str(read.query_name)
        tally = self.tally
        pending = tally.pending[key]
        if self._keep_names:  # one name may come back in any record: hold every name
            if name not in pending:
                tally.exon_fragments[key] += 1
                pending[name] = _FOREVER
            return
        held = tally.held.get(key)
        if name in tally.split[key[0]]:
            if not (held and name in held) and pending.pop(name, None) is None:
                tally.exon_fragments[key] += 1
            tally.held[key].add(name)
            return
        if (held and name in held) or pending.pop(name, None) is not None:
            return  # another record of the fragment counted it here
        tally.exon_fragments[key] += 1
        if flag & _PAIRED and not flag & _MATE_UNMAPPED:
            self._expect_mate(pending, name, read)

    def _expect_mate(self, pending: dict[str, int], name: str, read: pysam.AlignedSegment) -> None:
        """A fragment was counted on an exon from this read: hold its name while another
        record of it may come (the mate; a supplementary record of a mate elsewhere), or
        for the merge if the mate was in an earlier chunk."""
        mate = read.next_reference_start
        if read.next_reference_id != read.reference_id or mate < self._chunk_start:
            pending[name] = _FOREVER
        elif mate >= read.reference_start:
            pending[name] = mate

    def _add_introns(
        self, g: _Gene, read: pysam.AlignedSegment, flag: int, first: int, last: int
    ) -> None:
        """Fragment bases over the introns where DNA breaks fall: each fragment once, from its
        leftmost mate, over its whole span (the insert counts: a break there is seen too)."""
        if flag & _PAIRED:
            if not flag & _PROPER:
                return
            tlen = read.template_length
            if tlen <= 0:
                return
            last = read.reference_start + tlen
        if last < g.intron_span[0] or first > g.intron_span[1]:
            return
        bases = self.tally.intron_bases
        for n, lo, hi in g.introns:
            bases[(g.gene, n)] += max(0, min(hi, last) - max(lo, first) + 1)

    # -- chunks --------------------------------------------------------------------------------

    def start_chunk(self, chunk_start: int) -> None:
        """Reads from here on start at or after 0-based ``chunk_start`` (-1: a whole window);
        a read whose mate starts before it is held for :meth:`Tally.merge`."""
        self._chunk_start = chunk_start

    def prune(self, position: int) -> None:
        """Reads from here on start at or after 0-based ``position``: forget fragments whose
        other read would have started before it (filtered, or outside the windows)."""
        if self._keep_names:
            return
        for key, names in self.tally.pending.items():
            self.tally.pending[key] = {n: m for n, m in names.items() if m >= position}

    def end_chunk(self, end: int | None) -> None:
        """Reads from here on start at or after 0-based ``end`` (None: no read of this window's
        gene comes later)."""
        if end is None:
            self.tally.pending.clear()
            self.tally.held.clear()
            self.tally.split.clear()
        else:
            self.prune(end)

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


def _gene(models: GeneModels, p: Partner, edges: dict[_ExonKey, tuple[int, int]]) -> _Gene:
    exons = tuple(sorted(models[p.gene].exons, key=lambda e: e.start))
    if any(a.end >= b.start for a, b in zip(exons, exons[1:])):
        raise ValueError(f"{p.gene}: the gene model's exons overlap")
    keys = tuple((p.gene, e.number) for e in exons)
    introns = tuple((n, *models[p.gene].intron(n)) for n in p.junction_introns)
    return _Gene(
        keys=keys,
        exons=exons,
        starts=tuple(e.start for e in exons),
        ends=tuple(e.end for e in exons),
        edges=tuple(edges.get(k) for k in keys),
        gene=p.gene,
        introns=introns,
        intron_span=(
            min((lo for _, lo, _ in introns), default=1),
            max((hi for _, _, hi in introns), default=0),
        ),
    )


def _overlaps(blocks: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Do 0-based half-open ``blocks`` overlap the 1-based closed ``start..end``?"""
    return any(b_start < end and b_end >= start for b_start, b_end in blocks)
