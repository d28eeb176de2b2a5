"""Molecules and the read pairs sequenced from them.

A :class:`Template` is a molecule (an mRNA, a fusion mRNA, a stretch of a rearranged
chromosome) as a list of :class:`Piece` of the reference in the molecule's 5'->3' order.
Pieces with the same ``part`` form one linear (possibly spliced) alignment; where ``part``
changes, an aligner has to split the read (a chimeric junction).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from fusioncheck.sequence import reverse_complement
from fusioncheck.simulate.genome import Genome

_SUBSTITUTE = {"A": "CGT", "C": "AGT", "G": "ACT", "T": "ACG", "N": "ACGT"}


@dataclass(frozen=True)
class Piece:
    chrom: str  # chr-style
    start: int  # 1-based, closed
    end: int
    strand: str  # "+": the molecule reads the genome forward; "-": reverse complement
    part: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Group:
    """The bases of one read that fall in one part: one linear alignment."""

    part: int
    chrom: str
    genome_reverse: bool  # the part's pieces read the genome reverse-complemented
    t0: int  # template interval [t0, t1)
    t1: int
    blocks: tuple[tuple[int, int], ...]  # genomic (start, end), 1-based closed, ascending


class Template:
    def __init__(self, pieces: list[Piece], genome: Genome, name: str = "") -> None:
        self.pieces = pieces
        self.name = name
        self.genome = genome
        self.offsets: list[int] = []
        parts = []
        off = 0
        for p in pieces:
            self.offsets.append(off)
            s = genome.fetch(p.chrom, p.start, p.end)
            parts.append(s if p.strand == "+" else reverse_complement(s))
            off += p.length
        self.seq = "".join(parts)
        #: template offsets where the part changes (the first base after a junction)
        self.junctions = [
            self.offsets[i] for i in range(1, len(pieces)) if pieces[i].part != pieces[i - 1].part
        ]

    def __len__(self) -> int:
        return len(self.seq)

    def groups(self, t0: int, t1: int) -> list[Group]:
        out: list[Group] = []
        current: list[tuple[int, int]] = []
        cur_piece: Piece | None = None
        g0 = 0
        last = 0
        for p, off in zip(self.pieces, self.offsets):
            x0, x1 = max(t0, off), min(t1, off + p.length)
            if x0 >= x1:
                continue
            if cur_piece is not None and p.part != cur_piece.part:
                out.append(_group(cur_piece, g0, last, current))
                current = []
            if not current:
                g0 = x0
            if p.strand == "+":
                current.append((p.start + x0 - off, p.start + x1 - off - 1))
            else:
                current.append((p.end - (x1 - 1 - off), p.end - (x0 - off)))
            cur_piece, last = p, x1
        if cur_piece is not None:
            out.append(_group(cur_piece, g0, last, current))
        return out


def _group(p: Piece, t0: int, t1: int, blocks: list[tuple[int, int]]) -> Group:
    merged: list[list[int]] = []
    for s, e in sorted(blocks):
        if merged and s == merged[-1][1] + 1:
            merged[-1][1] = e
        else:
            merged.append([s, e])
    return Group(p.part, p.chrom, p.strand == "-", t0, t1, tuple((s, e) for s, e in merged))


@dataclass
class Read:
    """One sequenced read: template interval [t0, t1), read on the molecule's strand (sense)
    or the opposite one."""

    template: Template
    t0: int
    t1: int
    sense: bool
    errors: tuple[int, ...] = ()  # positions (read orientation) with a substituted base
    seq: str = ""
    #: template offsets where the molecule's C reads T (FFPE deamination, shared by copies)
    damage: frozenset[int] = frozenset()

    def groups(self) -> list[Group]:
        gs = self.template.groups(self.t0, self.t1)
        return gs if self.sense else gs[::-1]

    def query_range(self, g: Group) -> tuple[int, int]:
        """[q0, q1) of the group's bases in read orientation."""
        if self.sense:
            return g.t0 - self.t0, g.t1 - self.t0
        return self.t1 - g.t1, self.t1 - g.t0


@dataclass
class Fragment:
    """One sequenced read pair (or single read) of one molecule."""

    name: str
    source: str  # background, fusion, reciprocal, paralog, artefact_pair, read_through, ...
    reads: tuple[Read, ...]  # read1, read2 (read1 only when single-end)
    record: int | None = None  # index of the fusion record it supports
    duplicate_of: str | None = None  # a copy flagged as a duplicate (0x400)
    copy_of: str | None = None  # an unflagged PCR copy of this molecule's first read pair
    umi: str | None = None  # as the RX tag writes it
    molecule: int | None = None  # 0-based molecule number (the MI tag)
    info: dict[str, Any] = field(default_factory=dict)


def make_read(
    template: Template,
    t0: int,
    t1: int,
    sense: bool,
    rng: random.Random,
    error_rate: float,
    damage: frozenset[int] = frozenset(),
) -> Read:
    seq = template.seq[t0:t1]
    if damage:
        seq = "".join("T" if t0 + i in damage and b == "C" else b for i, b in enumerate(seq))
    if not sense:
        seq = reverse_complement(seq)
    errors: list[int] = []
    if error_rate > 0:
        bases = list(seq)
        for i in range(len(bases)):
            if rng.random() < error_rate:
                bases[i] = rng.choice(_SUBSTITUTE[bases[i]])
                errors.append(i)
        seq = "".join(bases)
    return Read(template, t0, t1, sense, tuple(errors), seq, damage)


def pair(
    template: Template,
    t0: int,
    length: int,
    read_length: int,
    read1_sense: bool,
    rng: random.Random,
    error_rate: float,
    damage_rate: float = 0.0,
) -> tuple[Read, Read]:
    """The two reads of fragment [t0, t0+length): one from each end, facing each other.

    ``damage_rate``: each C of the molecule reads T with this probability (deamination of
    the molecule itself, so both reads and every PCR copy show it)."""
    damage: frozenset[int] = frozenset()
    if damage_rate > 0:
        damage = frozenset(
            t
            for t in range(t0, t0 + length)
            if template.seq[t] == "C" and rng.random() < damage_rate
        )
    rl = min(read_length, length)
    sense = make_read(template, t0, t0 + rl, True, rng, error_rate, damage)
    anti = make_read(template, t0 + length - rl, t0 + length, False, rng, error_rate, damage)
    return (sense, anti) if read1_sense else (anti, sense)


def resequence(read: Read, rng: random.Random, error_rate: float) -> Read:
    """Another sequencing of the same molecule end: same bases and damage, new errors."""
    return make_read(read.template, read.t0, read.t1, read.sense, rng, error_rate, read.damage)


def junction_kind(frag: Fragment, min_side: int = 20) -> str:
    """``split`` if a read crosses a junction with >= ``min_side`` bases each side."""
    for r in frag.reads:
        for j in r.template.junctions:
            if r.t0 + min_side <= j <= r.t1 - min_side:
                return "split"
    return "spanning"
