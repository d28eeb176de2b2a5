"""Coverage and QC counted on the same pass as the evidence.

Reads per window, duplicates, spliced reads, fragments per exon, and the *informative*
molecules: those that would show the target fusion if it were there (RNA: molecules reading
across a junction exon's edge; DNA: fragment depth over the junction introns).

On a targeted panel every read of the file passes through here, so the work is split in two.
The read loop hands each alignment to a :class:`ChunkCounter`, which keeps a few integers per
alignment (positions, flag, mapping quality, a number for its read name); every
``BATCH`` alignments numpy counts them at once: the exons their aligned blocks cover and the
bases on each, each fragment once per exon (its records matched by read name), and fragment
bases over the junction introns.  Only alignments over a junction exon's edge (whose molecule
keys are collected) are looked at one by one.
"""

from __future__ import annotations

import struct
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pysam

from fusioncheck.config import Thresholds
from fusioncheck.genes import Exon, GeneModels
from fusioncheck.molecules import MoleculeKeys
from fusioncheck.target import Partner, Target

_SPLICE = 3  # CIGAR N
_PAIRED, _PROPER, _MATE_UNMAPPED, _DUPLICATE, _SUPPLEMENTARY = 0x1, 0x2, 0x8, 0x400, 0x800
#: Bits above the SAM flag that a batch record carries: spliced; several aligned blocks;
#: mapping quality under the minimum.
_SPLICED, _BLOCKS, _LOW_MAPQ = 1 << 16, 1 << 17, 1 << 18
_ExonKey = tuple[str, int]  # (gene, exon number)
_FOREVER = 1 << 62  # held until the end of the window (a mate start no read reaches)
_NONE = -1  # expects no other record of its fragment
BATCH = 1 << 15  # alignments counted together
#: Per alignment, packed as 64-bit integers (struct packing into a bytearray is the cheapest
#: way to hand Python integers to numpy): start, end, flag, name, until, tlen.
_RECORD = struct.Struct("=6q")
_BLOCK = struct.Struct("=3q")  # record, start, end of a record with several aligned blocks
_FULL = BATCH * _RECORD.size
#: A fragment on an exon is the hash of its read name plus the exon's index times this odd
#: constant (modulo 2**64): two fragments share a key with probability 2**-64 per pair.
_MIX = np.int64(-7046029254386353131)  # 0x9E3779B97F4A7C15 as a signed 64-bit integer
_Ints = npt.NDArray[np.int64]


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
        for fragment, until in later.open.items():  # (exon, fragment key) -> until
            if fragment in self.open:
                self.exon_fragments[fragment[0]] -= 1
            self.open[fragment] = max(until, self.open.get(fragment, until))
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
class _Gene:
    """A gene's exons in genomic order, as arrays for numpy's bisection."""

    gene: str
    keys: tuple[_ExonKey, ...]
    starts: _Ints  # 1-based first base of each exon
    ends: _Ints  # 1-based last base
    edges: tuple[_Edge, ...]
    edge_span: tuple[int, int]  # first and last base of all the edges
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
        self._genes = {p.gene: _gene(models, p, edges) for p in target.partners}

    def empty(self) -> Coverage:
        """A new, empty coverage counted the same way (for a worker process)."""
        keys = MoleculeKeys(self.molecules.mode, self.molecules.separator)
        return Coverage(self.target, self.models, self.t, keys)

    def chunk(self, gene: str, tid: int, start: int) -> ChunkCounter:
        """A counter for reads of ``gene``'s window on reference ``tid`` that start at or after
        0-based ``start`` (-1: the whole window)."""
        return ChunkCounter(self, self._genes[gene], tid, start)

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


class ChunkCounter:
    """Counts the alignments of one chunk of one window into its coverage's tally.

    :meth:`primary` and :meth:`supplementary` take the alignments in genomic order and keep a
    few integers each; :meth:`flush` counts them in bulk.  A fragment counts once per exon:
    its records are matched by the hash of their read name, and a name is held (``until``)
    while another record of the fragment may still come: its mate, up to the mate's start (for
    a proper pair read whole, up to the fragment's end, known from TLEN without reading the
    mate's position); any record, for the whole window, if the read is split (SA tag,
    supplementary records) or secondary records are kept; for the merge, if the mate is on
    another reference or before the chunk.  Two read names share a 64-bit hash with
    probability 2**-64 per pair, among the few thousand names held at a time: negligible.
    """

    def __init__(self, coverage: Coverage, g: _Gene, tid: int, start: int) -> None:
        self.tally = coverage.tally
        self.molecules = coverage.molecules
        self.g = g
        self.tid = tid
        self.chunk_start = start
        self.min_mapq = coverage.t.min_mapq
        self.edge_lo, self.edge_hi = g.edge_span
        # Reads with disabled filters may repeat a name (secondary records): hold every name.
        self.keep_names = "secondary" in coverage.t.disabled_filters
        self.split: set[str] = set()  # names of split reads seen
        self.records = bytearray()
        self.blocks = bytearray()
        self.open_keys: _Ints = np.zeros(0, np.int64)  # fragment on an exon, sorted
        self.open_until: _Ints = np.zeros(0, np.int64)
        self.open_exons: _Ints = np.zeros(0, np.int64)

    def primary(
        self,
        read: pysam.AlignedSegment,
        flag: int,
        start: int,
        cigar: list[tuple[int, int]],
        one_block: int,
        split: bool,
    ) -> None:
        """A primary alignment; ``one_block``: the length of its single aligned block, or 0
        if its CIGAR has other operations; ``split``: it has an SA tag.  Runs for every read
        of the windows: attribute reads and calls are kept to the few the counts need."""
        if one_block:
            end = start + one_block
        else:
            end = read.reference_end or start
            flag = self._several_blocks(read, flag, cigar)
        if read.mapping_quality < self.min_mapq:
            flag |= _LOW_MAPQ
        name = read.query_name or ""
        tlen = read.template_length if flag & _PROPER else 0
        if split:
            self.split.add(name)
            until = _FOREVER
        elif self.keep_names or name in self.split:
            until = _FOREVER
        elif tlen and self.chunk_start < 0:
            # A proper pair, read whole: the mate starts within the fragment (the leftmost
            # read) or at most here (the rightmost): no need to read the mate's position.
            until = start + tlen if tlen > 0 else start
        elif flag & (_PAIRED | _MATE_UNMAPPED) == _PAIRED:
            until = read.next_reference_start
            if read.next_reference_id != self.tid or until < self.chunk_start:
                until = _FOREVER
            elif until < start:
                until = _NONE
        else:
            until = _NONE
        self.records += _RECORD.pack(start, end, flag, hash(name), until, tlen)
        if start < self.edge_hi and end >= self.edge_lo:
            self._edges(read, flag, start, end)
        if len(self.records) >= _FULL:
            self.flush(start)

    def supplementary(self, read: pysam.AlignedSegment, flag: int, start: int) -> None:
        """A supplementary alignment: exon coverage only.  A splice-unaware aligner (BWA-MEM on
        RNA) writes a read across an exon junction as a primary and a supplementary record,
        and the part that touches a junction exon's edge is often the supplementary one."""
        name = read.query_name or ""
        self.split.add(name)
        if flag & _DUPLICATE or read.mapping_quality < self.min_mapq:
            return
        end = read.reference_end or start
        self._blocks(read)
        self.records += _RECORD.pack(start, end, flag | _BLOCKS, hash(name), _FOREVER, 0)
        if start < self.edge_hi and end >= self.edge_lo:
            self._edges(read, flag, start, end)

    def _several_blocks(
        self, read: pysam.AlignedSegment, flag: int, cigar: list[tuple[int, int]]
    ) -> int:
        """Keep the blocks of a primary alignment whose CIGAR is not one aligned block, and
        count its length; its flag with the record bits it needs."""
        self.tally.lengths[read.infer_read_length() or 0] += 1
        self._blocks(read)
        for op, _ in cigar:
            if op == _SPLICE:
                return flag | _BLOCKS | _SPLICED
        return flag | _BLOCKS

    def _blocks(self, read: pysam.AlignedSegment) -> None:
        record = len(self.records) // _RECORD.size
        for b_start, b_end in read.get_blocks():
            self.blocks += _BLOCK.pack(record, b_start, b_end)

    def _edges(self, read: pysam.AlignedSegment, flag: int, start: int, end: int) -> None:
        """Molecules over a junction exon's edge: those with aligned bases on the exon and on
        its junction-side window."""
        if flag & (_DUPLICATE | _LOW_MAPQ):
            return
        blocks: Sequence[tuple[int, int]] | None = None
        for edge in self.g.edges:
            if start < edge.hi and end >= edge.lo:
                blocks = blocks or read.get_blocks()
                exon = edge.exon
                if _overlaps(blocks, edge.lo, edge.hi) and _overlaps(blocks, exon.start, exon.end):
                    self.tally.junction_molecules[edge.key].add(self.molecules.key(read))

    def close(self, end: int | None) -> None:
        """The chunk's last alignment was handed over; ``end``: the 0-based start from which
        later chunks read (None: no later chunk of this window).  Fragments that may still
        have records there are left open in the tally for :meth:`Tally.merge`."""
        self.flush(_FOREVER if end is None else end)
        if end is None:
            return
        keys = self.g.keys
        for key, until, exon in zip(
            self.open_keys.tolist(), self.open_until.tolist(), self.open_exons.tolist()
        ):
            self.tally.open[(keys[exon], key)] = until

    # -- counting a batch --------------------------------------------------------------------

    def flush(self, position: int) -> None:
        """Count the batch; the alignments to come start at or after 0-based ``position``."""
        rec = np.frombuffer(self.records, np.int64).reshape(-1, 6).T.copy()
        blocks = np.frombuffer(self.blocks, np.int64).reshape(-1, 3).T.copy()
        self.records, self.blocks = bytearray(), bytearray()
        start, end, flag, name, until, tlen = rec
        primary = flag & _SUPPLEMENTARY == 0
        counted = flag & (_DUPLICATE | _LOW_MAPQ) == 0
        self._qc(flag[primary], (end - start)[primary], counted[primary])
        # One aligned block: the record itself; several: its blocks.
        single = np.flatnonzero(counted & (flag & _BLOCKS == 0))
        several = counted[blocks[0]]
        b_rec = np.concatenate((single, blocks[0][several]))
        b_start = np.concatenate((start[single], blocks[1][several]))
        b_end = np.concatenate((end[single], blocks[2][several]))
        self._exons(b_rec, b_start, b_end, name, until)
        kept = primary & counted
        self._introns(start[kept], end[kept], flag[kept], tlen[kept])
        keep = self.open_until >= position  # the others' records would have come by now
        self.open_keys = self.open_keys[keep]
        self.open_until, self.open_exons = self.open_until[keep], self.open_exons[keep]

    def _qc(self, flag: _Ints, length: _Ints, counted: npt.NDArray[np.bool_]) -> None:
        """Reads, read lengths (one aligned block: its length; several: counted as read),
        duplicates, and spliced and paired reads among the counted ones."""
        tally = self.tally
        tally.reads[self.g.gene] += len(flag)
        values, counts = np.unique(length[flag & _BLOCKS == 0], return_counts=True)
        tally.lengths.update(dict(zip(values.tolist(), counts.tolist())))
        tally.duplicates += int(np.count_nonzero(flag & _DUPLICATE))
        tally.spliced += int(np.count_nonzero(counted & (flag & _SPLICED != 0)))
        tally.paired = tally.paired or bool(np.any(counted & (flag & _PAIRED != 0)))

    def _exons(self, rec: _Ints, b_start: _Ints, b_end: _Ints, name: _Ints, until: _Ints) -> None:
        """Bases per exon from the aligned blocks (0-based half-open), and fragments per exon:
        each (read name, exon) once, also across batches while the name is held."""
        g, tally, n_exons = self.g, self.tally, len(self.g.keys)
        first = np.searchsorted(g.ends, b_start + 1, "left")
        n = np.maximum(np.searchsorted(g.starts, b_end, "right") - first, 0)
        block = np.repeat(np.arange(len(n)), n)
        exon = np.repeat(first, n) + np.arange(len(block)) - np.repeat(np.cumsum(n) - n, n)
        on = np.minimum(b_end[block], g.ends[exon]) - np.maximum(b_start[block] + 1, g.starts[exon])
        bases = np.bincount(exon, weights=on + 1, minlength=n_exons)
        keys, held, exons = _distinct(name[rec[block]] + exon * _MIX, until[rec[block]], exon)
        at = np.searchsorted(self.open_keys, keys)
        seen = at < len(self.open_keys)
        seen[seen] = self.open_keys[at[seen]] == keys[seen]
        fragments = np.bincount(exons[~seen], minlength=n_exons)
        for i in np.flatnonzero(bases):
            tally.exon_bases[g.keys[i]] += int(round(bases[i]))
            tally.exon_fragments[g.keys[i]] += int(fragments[i])
        # Held names: those seen before are held as long as any record asks; new ones added.
        np.maximum.at(self.open_until, at[seen], held[seen])
        new = ~seen
        self.open_keys = np.insert(self.open_keys, at[new], keys[new])
        self.open_until = np.insert(self.open_until, at[new], held[new])
        self.open_exons = np.insert(self.open_exons, at[new], exons[new])

    def _introns(self, start: _Ints, end: _Ints, flag: _Ints, tlen: _Ints) -> None:
        """Fragment bases over the introns where DNA breaks fall: each fragment once, from its
        leftmost mate, over its whole span (the insert counts: a break there is seen too)."""
        paired = flag & _PAIRED != 0
        keep = ~paired | ((flag & _PROPER != 0) & (tlen > 0))
        first = start[keep] + 1
        last = np.where(paired[keep], start[keep] + tlen[keep], end[keep])
        for n, lo, hi in self.g.introns:
            overlap = np.minimum(hi, last) - np.maximum(lo, first) + 1
            self.tally.intron_bases[(self.g.gene, n)] += int(overlap[overlap > 0].sum())


def _distinct(key: _Ints, until: _Ints, exon: _Ints) -> tuple[_Ints, _Ints, _Ints]:
    """The distinct keys, sorted, each with its largest ``until`` (and its exon)."""
    if not len(key):
        return key, until, exon
    order = np.argsort(key)
    key, until, exon = key[order], until[order], exon[order]
    first = np.flatnonzero(np.append(True, key[1:] != key[:-1]))
    return key[first], np.maximum.reduceat(until, first), exon[first]


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
    found = tuple(_Edge(k, *edges[k], e) for k, e in zip(keys, exons) if k in edges)
    return _Gene(
        gene=p.gene,
        keys=keys,
        starts=np.array([e.start for e in exons], np.int64),
        ends=np.array([e.end for e in exons], np.int64),
        edges=found,
        edge_span=(
            min((e.lo for e in found), default=1),
            max((e.hi for e in found), default=0),
        ),
        introns=tuple((n, *models[p.gene].intron(n)) for n in p.junction_introns),
    )


def _overlaps(blocks: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    """Do 0-based half-open ``blocks`` overlap the 1-based closed ``start..end``?"""
    return any(b_start < end and b_end >= start for b_start, b_end in blocks)
