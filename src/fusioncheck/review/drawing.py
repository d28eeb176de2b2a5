"""The supporting molecules of one record, placed on its junction for the report's read figure.

Read from the evidence BAM (its ``fr``/``fe``/``fm`` tags; :mod:`.evidence_bam`), so the JSON
stays the one source of counts and carries no read-level data.  Positions are offsets from the
junction in fusion order: the 5' partner's bases at -1, -2, ... walking away from the break,
the 3' partner's at 0, 1, ...  Introns count as bases, so a mate beyond an intron is drawn at
the window's edge.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam

from fusioncheck import model
from fusioncheck.model import Breakend, Side
from fusioncheck.review.evidence_bam import record_label
from fusioncheck.review.junction import halves

#: Offsets drawn either side of the junction.
WINDOW = 300
#: Molecules drawn per record.
LIMIT = 20


@dataclass(frozen=True)
class Drawn:
    """One molecule: its aligned pieces as [start, end) offsets, and mismatching offsets."""

    kind: str  # "split" (a read across the junction) or "spanning" (a mate each side)
    segments: tuple[tuple[int, int], ...]
    mismatches: tuple[int, ...] = ()
    beyond: bool = False  # part of it lies outside the drawn window


def _breakend(position: str, side: str) -> Breakend:
    chrom, pos = model.position(position)
    keeps: Side = "below" if side == "below" else "above"
    return Breakend(chrom, pos, keeps)


def _offset(pos: int, b: Breakend, is_five: bool) -> int:
    """Offset from the junction of genomic base ``pos`` (1-based) on breakend ``b``'s side."""
    away = b.pos - pos if b.keeps == "below" else pos - b.pos
    return -away - 1 if is_five else away


def _blocks(read: pysam.AlignedSegment, five: Breakend, three: Breakend) -> list[tuple[int, int]]:
    """Aligned blocks of ``read`` as offsets, on the partner whose breakpoint is nearer."""
    sides = [(b, f) for b, f in ((five, True), (three, False)) if b.chrom == read.reference_name]
    if not sides:
        return []
    b, is_five = min(sides, key=lambda s: abs(s[0].pos - read.reference_start))
    out = []
    for start, end in read.get_blocks():
        a, z = _offset(start + 1, b, is_five), _offset(end, b, is_five)
        out.append((min(a, z), max(a, z) + 1))
    return out


def _mismatches(left: str, right: str, junction: str | None) -> tuple[int, ...]:
    if not junction or "|" not in junction:
        return ()
    ref_left, ref_right = junction.split("|")
    out = [-i - 1 for i, (x, y) in enumerate(zip(left[::-1], ref_left[::-1])) if x != y]
    out += [i for i, (x, y) in enumerate(zip(right, ref_right)) if x != y]
    return tuple(sorted(out))


def _drawn(
    kind: str,
    reads: list[pysam.AlignedSegment],
    fusion: dict[str, Any],
    five: Breakend,
    three: Breakend,
) -> Drawn:
    if kind == "split":
        for read in reads:
            for b, is_five in ((five, True), (three, False)):
                cut = halves(read, b, is_five) if read.reference_name == b.chrom else None
                if cut is not None:
                    misses = _mismatches(*cut, fusion.get("junction_sequence"))
                    return _clipped(kind, [(-len(cut[0]), len(cut[1]))], misses)
    pieces = [p for r in reads if not r.is_supplementary for p in _blocks(r, five, three)]
    return _clipped(kind, pieces, ())


def _clipped(kind: str, pieces: list[tuple[int, int]], misses: tuple[int, ...]) -> Drawn:
    kept = [(max(a, -WINDOW), min(z, WINDOW)) for a, z in pieces if z > -WINDOW and a < WINDOW]
    beyond = any(a < -WINDOW or z > WINDOW for a, z in pieces)
    return Drawn(
        kind, tuple(sorted(kept)), tuple(m for m in misses if -WINDOW <= m < WINDOW), beyond
    )


def junction_molecules(
    bam: Path, n: int, fusion: dict[str, Any], limit: int = LIMIT
) -> list[Drawn]:
    """Up to ``limit`` molecules of record ``n`` (1-based in the JSON's ``fusions``): those
    with a read across the junction first, one fragment per molecule."""
    label = record_label(n, fusion["five_prime_gene"], fusion["three_prime_gene"])
    reads: dict[str, list[pysam.AlignedSegment]] = defaultdict(list)
    kind_of: dict[str, tuple[str, str]] = {}  # fragment -> (evidence, molecule)
    with pysam.AlignmentFile(str(bam)) as f:
        for read in f.fetch(until_eof=True):
            labels = str(read.get_tag("fr")).split(",") if read.has_tag("fr") else []
            if label in labels:
                name = str(read.query_name)
                reads[name].append(read)
                kind = str(read.get_tag("fe")).split(",")[labels.index(label)]
                kind_of[name] = (kind, str(read.get_tag("fm")))
    chosen: dict[str, str] = {}  # molecule -> fragment
    for name in sorted(reads, key=lambda x: (kind_of[x][0] != "split", x)):
        chosen.setdefault(kind_of[name][1], name)
    five = _breakend(fusion["breakpoint_5p"], fusion["side_5p"])
    three = _breakend(fusion["breakpoint_3p"], fusion["side_3p"])
    names = list(chosen.values())[:limit]
    return [_drawn(kind_of[x][0], reads[x], fusion, five, three) for x in names]
