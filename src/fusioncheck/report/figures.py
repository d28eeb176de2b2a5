"""Figures as inline SVG: the fusion diagram and exon coverage.

Drawn from the gene models (``genes.load(build)``) and the result JSON only.  Every string that
comes from the JSON is escaped here, because SVG text is markup too.  No fonts, images or
scripts are referenced: the SVG renders the same offline, on screen and in print.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any

from fusioncheck.genes import GeneModels, Transcript
from fusioncheck.target import load_target

WIDTH = 760
LEFT = 150  # room for gene labels
RIGHT = 20
GAP = 7  # drawn width of every intron: introns are not to scale, exons are
FIVE_COLOUR = "#1f4e79"
THREE_COLOUR = "#9c4a00"
LOST_FILL = "#ffffff"
LOST_STROKE = "#9a9a9a"
BREAK_COLOUR = "#b00020"
FONT = "font-family:Arial,Helvetica,sans-serif"

_POSITION = re.compile(r"^(?P<chrom>[^:]+):(?P<pos>[0-9]+)$")


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _parse_position(text: str) -> tuple[str, int] | None:
    m = _POSITION.match(text)
    return (m["chrom"], int(m["pos"])) if m else None


def _svg(height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{_e(label)}" style="{FONT};max-width:{WIDTH}px">'
        f"<title>{_e(label)}</title>" + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, text: object, size: int = 11, anchor: str = "start", **kw: object
) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in kw.items())
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{extra}>'
        f"{_e(text)}</text>"
    )


class _Layout:
    """x positions of one transcript's exons, 5' to 3' left to right, at ``scale`` px/bp."""

    def __init__(self, tx: Transcript, scale: float, x0: float) -> None:
        self.tx = tx
        self.spans: list[tuple[float, float]] = []
        x = x0
        for exon in tx.exons:
            w = max(1.5, exon.length * scale)
            self.spans.append((x, x + w))
            x += w + GAP
        self.end = x - GAP

    def x_of(self, pos: int) -> float:
        """Drawn x of a genomic position: inside its exon, or mid-intron for intronic breaks."""
        tx = self.tx
        exon = tx.exon_at(pos)
        if exon is not None:
            a, b = self.spans[exon.number - 1]
            frac = (
                (pos - exon.start + 0.5) / exon.length
                if tx.strand == "+"
                else (exon.end - pos + 0.5) / exon.length
            )
            return a + frac * (b - a)
        intron = tx.intron_at(pos)
        if intron is not None:
            return self.spans[intron - 1][1] + GAP / 2
        before = pos < tx.start if tx.strand == "+" else pos > tx.end
        return self.spans[0][0] - 3 if before else self.end + 3

    def after_exon(self, n: int) -> float:
        return self.spans[n - 1][1] + GAP / 2

    def before_exon(self, n: int) -> float:
        return self.spans[n - 1][0] - GAP / 2


def _gene_row(
    lay: _Layout,
    y: float,
    kept: set[int],
    colour: str,
    title: str,
    highlight: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[str]:
    h = 18
    tx = lay.tx
    out = [
        _text(10, y + 9, title, 13, font_weight="bold"),
        _text(10, y + 22, f"{tx.chrom} ({tx.strand}) {tx.cytoband}", 9, fill="#444"),
        _text(LEFT, y - 5, f"{tx.label} · exons numbered 5' to 3'", 9, fill="#444"),
        f'<line x1="{lay.spans[0][0]:.1f}" y1="{y + h / 2:.1f}" x2="{lay.end:.1f}" '
        f'y2="{y + h / 2:.1f}" stroke="#777" stroke-width="1"/>',
    ]
    for exon, (a, b) in zip(tx.exons, lay.spans):
        keep = exon.number in kept
        fill = colour if keep else LOST_FILL
        stroke = colour if keep else LOST_STROKE
        width = 2 if exon.number in highlight else 1
        out.append(
            f'<rect x="{a:.1f}" y="{y:.1f}" width="{b - a:.1f}" height="{h}" fill="{fill}" '
            f'stroke="{stroke}" stroke-width="{width}"/>'
        )
        if b - a >= 7 or exon.number in highlight or exon.number in (1, len(tx.exons)):
            out.append(_text((a + b) / 2, y + h + 11, exon.number, 9, "middle", fill="#333"))
    return out


def _break_marker(x: float, y: float, label: str, anchor: str) -> list[str]:
    """A dashed line through a gene row at ``y`` and the breakpoint label below it."""
    lx = x + 4 if anchor == "start" else x - 4
    return [
        f'<line x1="{x:.1f}" y1="{y - 3:.1f}" x2="{x:.1f}" y2="{y + 40:.1f}" '
        f'stroke="{BREAK_COLOUR}" stroke-width="1.5" stroke-dasharray="4 2"/>',
        _text(lx, y + 40, f"break {label}", 9, anchor, fill=BREAK_COLOUR),
    ]


def _scale(models: GeneModels, genes: list[str]) -> float:
    """One px/bp for every gene in the figure, so exon sizes compare across genes."""
    usable = WIDTH - LEFT - RIGHT
    txs = [models[g] for g in genes if g in models.transcripts]
    if not txs:
        return 1.0
    scale = min((usable - GAP * (len(t.exons) - 1)) / t.tx_length for t in txs)
    for tx in txs:  # tiny exons are drawn wider than to scale; make room for them
        need = sum(max(1.5, e.length * scale) for e in tx.exons) + GAP * (len(tx.exons) - 1)
        if need > usable:
            scale *= (usable - (need - usable)) / usable
    return scale


def _kept_5p(tx: Transcript, fusion: dict[str, Any], pos: int | None) -> set[int]:
    if fusion["exon_5p"] is not None and fusion["five_prime_gene"] == tx.gene:
        return set(range(1, fusion["exon_5p"] + 1))
    if pos is None:
        return set()
    return {e.number for e in tx.exons if (e.start <= pos if tx.strand == "+" else e.end >= pos)}


def _kept_3p(tx: Transcript, fusion: dict[str, Any], pos: int | None) -> set[int]:
    if fusion["exon_3p"] is not None and fusion["three_prime_gene"] == tx.gene:
        return set(range(fusion["exon_3p"], len(tx.exons) + 1))
    if pos is None:
        return set()
    return {e.number for e in tx.exons if (e.end >= pos if tx.strand == "+" else e.start <= pos)}


def _subtitle(tx: Transcript) -> str:
    ids = tx.label
    return f"{ids}  {tx.chrom} ({tx.strand}) {tx.cytoband}"


def _unknown_row(y: float, title: str, locus: str, colour: str) -> list[str]:
    x0 = LEFT
    return [
        _text(10, y + 8, title, 13, font_weight="bold"),
        _text(10, y + 22, "no annotated gene", 9, fill="#444"),
        f'<rect x="{x0}" y="{y:.1f}" width="120" height="18" fill="{colour}" opacity="0.35" '
        f'stroke="{colour}"/>',
        _text(x0 + 128, y + 13, f"locus {locus}", 10, fill="#333"),
    ]


def fusion_diagram(fusion: dict[str, Any], models: GeneModels) -> str:
    """Both partners' exons to scale (introns shortened), the breakpoints, the parts each keeps
    (filled) and the fusion transcript they make, with its supporting reads."""
    g5, g3 = fusion["five_prime_gene"], fusion["three_prime_gene"]
    p5 = _parse_position(fusion["breakpoint_5p"])
    p3 = _parse_position(fusion["breakpoint_3p"])
    scale = _scale(models, [g5, g3])
    body: list[str] = []
    y1, y2, y3 = 44, 124, 206
    name = f"{g5}::{g3}"
    body.append(_text(10, 14, f"{name} fusion diagram", 12, font_weight="bold"))
    body.append(
        _text(
            WIDTH - RIGHT,
            14,
            "filled: part kept in the fusion · open: part lost · exons to scale, introns shortened",
            9,
            "end",
            fill="#444",
        )
    )
    lay5 = lay3 = None
    kept5: set[int] = set()
    kept3: set[int] = set()
    if g5 in models.transcripts:
        lay5 = _Layout(models[g5], scale, LEFT)
        kept5 = _kept_5p(lay5.tx, fusion, p5[1] if p5 else None)
        body += _gene_row(lay5, y1, kept5, FIVE_COLOUR, f"5' {g5}")
        if fusion["exon_5p"] is not None and fusion["intron_5p"] is None:
            x = lay5.after_exon(fusion["exon_5p"])
        else:
            x = lay5.x_of(p5[1]) if p5 else lay5.end
        body += _break_marker(x, y1, _fmt_pos(fusion["breakpoint_5p"]), "start")
    else:
        body += _unknown_row(y1, f"5' {g5}", fusion["breakpoint_5p"], FIVE_COLOUR)
    if g3 in models.transcripts:
        lay3 = _Layout(models[g3], scale, LEFT)
        kept3 = _kept_3p(lay3.tx, fusion, p3[1] if p3 else None)
        body += _gene_row(lay3, y2, kept3, THREE_COLOUR, f"3' {g3}")
        if fusion["exon_3p"] is not None and fusion["intron_3p"] is None:
            x = lay3.before_exon(fusion["exon_3p"])
        else:
            x = lay3.x_of(p3[1]) if p3 else lay3.spans[0][0]
        body += _break_marker(x, y2, _fmt_pos(fusion["breakpoint_3p"]), "end")
    else:
        body += _unknown_row(y2, f"3' {g3}", fusion["breakpoint_3p"], THREE_COLOUR)

    body += _fusion_row(name, y3, ((lay5, kept5, FIVE_COLOUR), (lay3, kept3, THREE_COLOUR)))
    support = (
        f"Support: {fusion['supporting_fragments']} fragments "
        f"({fusion['split_reads']} with a read across the junction, "
        f"{fusion['spanning_pairs']} spanning pairs)"
    )
    body.append(_text(LEFT, y3 + 48, support, 11))
    label = f"{name}: {support}"
    return _svg(y3 + 60, label, body)


def _fusion_row(
    name: str, y3: int, parts: tuple[tuple[_Layout | None, set[int], str], ...]
) -> list[str]:
    """The fusion transcript: the kept exons of both partners, joined at the junction."""
    body = [
        _text(10, y3 + 8, "Fusion", 13, font_weight="bold"),
        _text(10, y3 + 22, name, 9, fill="#444"),
    ]
    x = float(LEFT)
    junction_x = None
    for lay, kept, colour in parts:
        if lay is None:
            body.append(
                f'<rect x="{x:.1f}" y="{y3}" width="60" height="18" fill="{colour}" '
                f'opacity="0.35" stroke="{colour}"/>'
            )
            x += 60 + GAP
        else:
            for exon, (a, b) in zip(lay.tx.exons, lay.spans):
                if exon.number in kept:
                    w = b - a
                    body.append(
                        f'<rect x="{x:.1f}" y="{y3}" width="{w:.1f}" height="18" '
                        f'fill="{colour}" stroke="{colour}"/>'
                    )
                    if w >= 11 or exon.number in (min(kept), max(kept)):
                        body.append(_text(x + w / 2, y3 + 29, exon.number, 9, "middle"))
                    x += w + 1
            x += GAP
        if junction_x is None:
            junction_x = x - GAP / 2 - 0.5
    if junction_x is not None:
        body += [
            f'<line x1="{junction_x:.1f}" y1="{y3 - 8}" x2="{junction_x:.1f}" y2="{y3 + 26}" '
            f'stroke="{BREAK_COLOUR}" stroke-width="1.5"/>',
            _text(junction_x, y3 - 11, "junction", 9, "middle", fill=BREAK_COLOUR),
        ]
    return body


def _fmt_pos(text: str) -> str:
    p = _parse_position(text)
    return f"{p[0]}:{p[1]:,}" if p else text


def junction_region_diagram(models: GeneModels) -> str:
    """When no fusion was reported: both target genes, with the ASPS junction exons outlined."""
    target = load_target()
    five, three = models[target.five_prime.gene], models[target.three_prime.gene]
    scale = _scale(models, [five.gene, three.gene])
    lay5 = _Layout(five, scale, LEFT)
    lay3 = _Layout(three, scale, LEFT)
    j5 = set(target.five_prime.junction_exons)
    j3 = set(target.three_prime.junction_exons)
    body = [
        _text(10, 14, "ASPS junction region (no fusion reported)", 12, font_weight="bold"),
        _text(
            WIDTH - RIGHT,
            14,
            "filled: exons assessed for an ASPS junction · exons to scale, introns shortened",
            9,
            "end",
            fill="#444",
        ),
    ]
    body += _gene_row(lay5, 44, j5, FIVE_COLOUR, f"5' {five.gene}", j5)
    body += _gene_row(lay3, 104, j3, THREE_COLOUR, f"3' {three.gene}", j3)
    return _svg(140, "ASPSCR1 and TFE3 with the exons at the known ASPS junctions", body)


def coverage_chart(gene: str, counts: list[int], models: GeneModels) -> str:
    """Fragments per kb of each exon (bars; the raw fragment count printed above each)."""
    tx = models.transcripts.get(gene)
    lengths = (
        [e.length for e in tx.exons]
        if tx and len(tx.exons) == len(counts)
        else [1000] * len(counts)
    )
    density = [c / (n / 1000) for c, n in zip(counts, lengths)]
    top = max(density, default=0.0) or 1.0
    height, base, plot_h = 162, 112, 78
    n = max(1, len(counts))
    usable = WIDTH - LEFT - RIGHT
    bw = usable / n
    sides = {p.gene: p for p in load_target().partners}
    junction = set(sides[gene].junction_exons) if gene in sides else set()
    colour = THREE_COLOUR if gene == load_target().three_prime.gene else FIVE_COLOUR
    sub = _subtitle(tx) if tx else "no gene model"
    body = [
        _text(10, 14, f"{gene} exon coverage", 12, font_weight="bold"),
        _text(10, 28, sub, 9, fill="#444"),
        _text(10, base - plot_h / 2, "fragments", 9, fill="#444"),
        _text(10, base - plot_h / 2 + 11, "per kb of exon", 9, fill="#444"),
        _text(10, base + 12, "exon", 9, fill="#444"),
        _text(10, base + 23, "fragments", 9, fill="#444"),
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="#333"/>',
        f'<line x1="{LEFT}" y1="{base}" x2="{LEFT}" y2="{base - plot_h - 4}" stroke="#333"/>',
        _text(LEFT - 4, base - plot_h + 3, f"{top:,.0f}", 9, "end", fill="#444"),
        _text(LEFT - 4, base + 3, "0", 9, "end", fill="#444"),
    ]
    for i, (count, d) in enumerate(zip(counts, density)):
        number = i + 1
        h = plot_h * d / top
        x = LEFT + i * bw + bw * 0.15
        fill = colour if number in junction else "#a9b7c6"
        body.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bw * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{fill}"/>'
        )
        body.append(_text(x + bw * 0.35, base - h - 3, f"{d:,.0f}", 8, "middle", fill="#222"))
        body.append(_text(x + bw * 0.35, base + 12, number, 9, "middle"))
        body.append(_text(x + bw * 0.35, base + 23, f"n={count:,}", 7, "middle", fill="#666"))
    if junction:
        body.append(
            _text(
                WIDTH - RIGHT,
                base + 38,
                "dark bars: exons assessed for an ASPS junction "
                f"({', '.join(map(str, sorted(junction)))}); above each bar: fragments per kb; "
                "n: fragments overlapping the exon",
                9,
                "end",
                fill="#444",
            )
        )
    if not any(counts):
        body.append(_text(LEFT + usable / 2, base - plot_h / 2, "no fragments", 12, "middle"))
    return _svg(height, f"{gene} fragments per exon", body)


# --- reads at the junction ----------------------------------------------------------------------

_ROW = 11  # px per molecule


def read_figure(fusion: dict[str, Any], molecules: list[Any], window: int) -> str:
    """Supporting molecules (``review.drawing.Drawn``) on the junction: the 5' partner's bases
    left of the dashed line, the 3' partner's right; a split read crosses the line, a
    discordant pair has a mate on each side joined by a thin line; red ticks are bases that
    differ from the junction sequence; an arrow at the edge: the molecule goes on beyond."""
    x0, x1 = 40.0, WIDTH - 40.0
    scale = (x1 - x0) / (2 * window)

    def x(offset: float) -> float:
        return x0 + (offset + window) * scale

    top, height = 34, 34 + _ROW * len(molecules) + 40
    body = [
        _text(x0, 14, f"5' {fusion['five_prime_gene']}", 12, font_weight="bold",
              fill=FIVE_COLOUR),
        _text(x1, 14, f"{fusion['three_prime_gene']} 3'", 12, "end", font_weight="bold",
              fill=THREE_COLOUR),
        _text(x(0), 26, "junction", 10, "middle", fill=BREAK_COLOUR),
    ]  # fmt: skip
    for i, m in enumerate(molecules):
        body += _molecule(m, top + i * _ROW, x, scale, window)
    line_end = top + _ROW * len(molecules)
    body.append(f'<line x1="{x(0):.1f}" y1="{top - 4}" x2="{x(0):.1f}" y2="{line_end}" '
                f'stroke="{BREAK_COLOUR}" stroke-dasharray="3,2"/>')  # fmt: skip
    body.append(_text(x0, line_end + 16, f"{-window} bases", 10, fill="#555"))
    body.append(_text(x1, line_end + 16, f"+{window} bases", 10, "end", fill="#555"))
    split = sum(m.kind == "split" for m in molecules)
    label = (f"{len(molecules)} supporting molecules at the {fusion['five_prime_gene']}::"
             f"{fusion['three_prime_gene']} junction: {split} split reads, "
             f"{len(molecules) - split} discordant pairs")  # fmt: skip
    return _svg(height, label, body)


def _molecule(
    m: Any, y: float, x: Callable[[float], float], scale: float, window: int
) -> list[str]:
    """One row: the aligned pieces coloured by partner, the insert between mates, mismatches."""
    out = []
    pieces = list(m.segments)
    if m.kind == "spanning" and len(pieces) > 1:
        out.append(f'<line x1="{x(pieces[0][1]):.1f}" y1="{y + 3}" x2="{x(pieces[-1][0]):.1f}" '
                   f'y2="{y + 3}" stroke="#8a8a8a" stroke-width="1"/>')  # fmt: skip
    for a, z in pieces:
        for lo, hi, colour in ((a, min(z, 0), FIVE_COLOUR), (max(a, 0), z, THREE_COLOUR)):
            if hi > lo:
                out.append(f'<rect x="{x(lo):.1f}" y="{y}" width="{(hi - lo) * scale:.1f}" '
                           f'height="6" fill="{colour}"/>')  # fmt: skip
    for offset in m.mismatches:
        out.append(f'<rect class="mismatch" x="{x(offset):.1f}" y="{y - 1}" '
                   f'width="{max(1.5, scale):.1f}" height="8" fill="{BREAK_COLOUR}"/>')  # fmt: skip
    if m.beyond:
        left = bool(pieces) and pieces[0][0] <= -window
        edge, arrow = (x(-window) - 8, "‹") if left else (x(window) + 2, "›")
        out.append(_text(edge, y + 7, arrow, 11, fill="#555"))
    return out
