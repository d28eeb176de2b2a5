"""What the sample's coverage could have seen, and what else it shows.

Sensitivity (the smallest fusion fraction this sample would have detected), the reciprocal
(present, absent, or not assessable), the 3' gene's exon imbalance, and breaks of the 3' gene
toward sequence of no known gene.
"""

from __future__ import annotations

import math
from collections import Counter

from fusioncheck.config import Thresholds
from fusioncheck.coverage import Coverage
from fusioncheck.design import SideName
from fusioncheck.genes import ContigStyle, GeneModels
from fusioncheck.model import (
    Breakend,
    FusionRecord,
    Imbalance,
    Reciprocal,
    Sensitivity,
    UnresolvedBreak,
)
from fusioncheck.target import Target


def required_fraction(tumour_content: float | None, t: Thresholds) -> float:
    """The fusion fraction a negative must be able to see: with a tumour content, the
    fraction it implies (one rearranged allele of two per tumour cell); otherwise the default."""
    if tumour_content is None:
        return t.negative_max_fraction
    return tumour_content * t.fusion_share_per_tumour_cell


def sensitivity(
    informative: tuple[float, float],
    sides: list[SideName],
    tumour_content: float | None,
    rna: bool,
    t: Thresholds,
) -> tuple[Sensitivity, float | None]:
    """The sensitivity block, and the raw detectable fraction the call uses (may exceed 1)."""
    by_side = dict(zip(("5p", "3p"), informative))
    fraction = detectable_fraction(min(by_side[s] for s in sides), t.min_support, t.power)
    shown = None if fraction is None or fraction > 1 else round(fraction, 4)
    block = Sensitivity(
        informative_fragments_5p=informative[0],
        informative_fragments_3p=informative[1],
        sides_assessed=sides,
        min_support=t.min_support,
        detectable_fraction=shown,
        required_fraction=round(required_fraction(tumour_content, t), 4),
        tumour_content=tumour_content,
        statement=_statement(fraction, rna, tumour_content, t),
    )
    return block, fraction


def _statement(
    fraction: float | None, rna: bool, tumour_content: float | None, t: Thresholds
) -> str:
    if fraction is None:
        return "No molecules covered the junction regions: no sensitivity can be stated."
    what = "of transcripts at the junction" if rna else "allele fraction"
    if fraction > 1:
        return (
            f"Not determinable: at this coverage not even a fusion in every molecule would "
            f"reliably give {t.min_support} supporting molecules."
        )
    text = (
        f"At this coverage, a fusion present at {fraction:.1%} {what} or more would give at "
        f"least {t.min_support} supporting molecules with {t.power:.0%} probability."
    )
    if tumour_content is not None:
        implied = required_fraction(tumour_content, t)
        text += (
            f" At the stated tumour content of {tumour_content:.0%}, a fusion is expected at "
            f"about {implied:.1%} ({'within' if fraction <= implied else 'below'} reach)."
        )
    return text


def reciprocal(
    fusions: list[FusionRecord], target: Target, fraction: float | None, design: str
) -> Reciprocal:
    """Reciprocal evidence; not assessed where coverage could not show it (or, for anchored
    PCR, where the primers in the 3' gene cannot reach it)."""
    five, three = target.five_prime.gene, target.three_prime.gene
    found = [f for f in fusions if f.kind == "reciprocal" and f.passed]
    either = "Balanced and unbalanced forms of the translocation both occur, so"
    if found:
        n = sum(f.supporting_fragments for f in found)
        return Reciprocal(
            "present",
            n,
            f"Reciprocal {three}::{five} found ({n} molecules): the translocation is at least in "
            f"part balanced. {either} this does not distinguish the tumours this fusion occurs in.",
        )
    if design == "amp" or fraction is None or fraction > 1:
        why = (
            f"anchored PCR primers in {three} do not reach it"
            if design == "amp"
            else "the junction regions lacked the coverage to show it"
        )
        return Reciprocal(
            "not_assessed",
            0,
            f"Reciprocal {three}::{five} not assessed: {why}. This argues neither for nor "
            "against any diagnosis.",
        )
    return Reciprocal(
        "absent",
        0,
        f"No reciprocal {three}::{five} evidence. {either} its absence does not distinguish "
        "the tumours this fusion occurs in.",
    )


def imbalance(coverage: Coverage, target: Target, t: Thresholds, rna: bool) -> Imbalance:
    """3'/5' coverage of the 3' gene: every fusion joined at its junction exons keeps the
    'kept' exons and loses the 'lost' ones, so a fusion expressed without junction reads still
    tips the ratio."""
    p = target.three_prime
    counts = coverage.exon_coverage()[p.gene]
    lost_n = sum(counts[e - 1] for e in p.lost_exons)
    kept_n = sum(counts[e - 1] for e in p.kept_exons)
    block = {
        "lost_exons": list(p.lost_exons),
        "kept_exons": list(p.kept_exons),
        "reference_ratio": t.imbalance_reference_ratio,
        "max_fold": t.imbalance_max_fold,
    }
    if not p.kept_exons or not rna or lost_n + kept_n < t.imbalance_min_fragments:
        why = "DNA assay" if not rna else f"only {lost_n + kept_n} fragments on {p.gene} exons"
        statement = f"{p.gene} exon balance not assessed ({why})."
        return Imbalance(**block, status="not_assessed", ratio=None, fold=None, statement=statement)  # type: ignore[arg-type]
    lost = coverage.exon_depth(p.gene, p.lost_exons)
    kept = coverage.exon_depth(p.gene, p.kept_exons)
    ratio = kept / max(lost, 0.5)  # half a read of depth: no division by an empty block
    fold = ratio / t.imbalance_reference_ratio
    imbalanced = fold > t.imbalance_max_fold
    statement = (
        f"{p.gene} exons {p.kept_exons[0]}-{p.kept_exons[-1]} are covered {fold:.1f}-fold "
        f"over exons {p.lost_exons[0]}-{p.lost_exons[-1]} relative to the reference"
    )
    statement += (
        f": {p.gene} rearrangement suspected (3' exons retained by a fusion are over-expressed)."
        if imbalanced
        else ": within the expected range."
    )
    return Imbalance(
        **block,  # type: ignore[arg-type]
        status="imbalanced" if imbalanced else "balanced",
        ratio=round(ratio, 3),
        fold=round(fold, 3),
        statement=statement,
    )


def unresolved_breaks(
    unmatched: Counter[Breakend],
    models: GeneModels,
    target: Target,
    style: ContigStyle,
    t: Thresholds,
) -> list[UnresolvedBreak]:
    """3' gene exon starts where reads are soft-clipped with sequence of no known gene: a break
    to a partner the resources do not hold (or not checked without a FASTA)."""
    tx = models[target.three_prime.gene]
    acceptors = {tx.acceptor(e.number): e.number for e in tx.exons[1:]}
    # A fragment keeping exon n onwards keeps the bases after it in transcription order.
    keeps = "below" if tx.strand == "-" else "above"
    out = []
    for anchor, n in sorted(unmatched.items()):
        exon = acceptors.get(anchor.pos)
        if anchor.chrom == tx.chrom and exon is not None and anchor.keeps == keeps:
            if n >= t.min_support:
                locus = f"{style.to_bam(anchor.chrom)}:{anchor.pos}"
                out.append(UnresolvedBreak(exon_3p=exon, breakpoint_3p=locus, reads=n))
    return out


def unmatched_at_junctions(unmatched: Counter[Breakend], models: GeneModels, target: Target) -> int:
    """Reads clipped by unknown sequence right at a junction exon edge (fusion side)."""
    edges = set()
    five, three = models[target.five_prime.gene], models[target.three_prime.gene]
    for n in target.five_prime.junction_exons:
        edges.add((five.chrom, five.donor(n), "below" if five.strand == "+" else "above"))
    for n in target.three_prime.junction_exons:
        edges.add((three.chrom, three.acceptor(n), "above" if three.strand == "+" else "below"))
    return sum(n for b, n in unmatched.items() if (b.chrom, b.pos, b.keeps) in edges)


# --- the Poisson model of sensitivity --------------------------------------------------------


def poisson_at_least(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean)."""
    below = sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))
    return 1.0 - below


def detectable_fraction(informative: float, min_support: int, power: float) -> float | None:
    """Smallest fusion fraction f for which Poisson(f * informative) >= min_support has
    probability ``power``; None when nothing informative was seen.  May exceed 1: then not
    even a fusion in every molecule would reliably be seen."""
    if informative <= 0:
        return None
    lo, hi = 0.0, 1000.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if poisson_at_least(min_support, mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi / informative
