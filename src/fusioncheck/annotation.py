"""Annotate clustered junctions: exact placement, exons, introns, frame, protein, confidence.

Produces the :class:`~fusioncheck.model.FusionRecord` list of a result: every cluster that
passes the support rule, plus the best sub-threshold target cluster, so the lab sees what
little evidence there was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pysam

from fusioncheck.clustering import Cluster
from fusioncheck.config import Thresholds
from fusioncheck.genes import ContigStyle, GeneModels, Transcript, reading_frame
from fusioncheck.model import Breakend, Confidence, FusionRecord, SequenceSource
from fusioncheck.review.junction import read_consensus
from fusioncheck.sequence import equivalent_joins, fusion_protein, joined_sequence
from fusioncheck.target import Target

_KIND_ORDER = {"target": 0, "reciprocal": 1, "other_partner": 2}


@dataclass(frozen=True)
class Annotation:
    exon_5p: int | None
    exon_3p: int | None
    intron_5p: int | None
    intron_3p: int | None
    canonical: bool  # RNA: exon boundaries; DNA: intronic on both sides
    reading_frame: str


def annotate(five: Breakend, three: Breakend, models: GeneModels, rna: bool) -> Annotation:
    tx5 = models.gene_at(five.chrom, five.pos)
    tx3 = models.gene_at(three.chrom, three.pos)
    exon5 = exon3 = intron5 = intron3 = None
    if tx5 is not None:
        intron5 = None if rna else tx5.intron_at(five.pos)
        e = tx5.exon_at(five.pos)
        exon5 = intron5 if intron5 is not None else (e.number if e else None)
    if tx3 is not None:
        intron3 = None if rna else tx3.intron_at(three.pos)
        e = tx3.exon_at(three.pos)
        exon3 = intron3 + 1 if intron3 is not None else (e.number if e else None)
    if rna:
        canonical = models.at_exon_boundaries(five, three)
    else:
        canonical = intron5 is not None and intron3 is not None
    if tx5 is None or tx3 is None or exon5 is None or exon3 is None:
        frame = "unknown"
    else:
        frame = reading_frame(tx5, exon5, tx3, exon3)
    return Annotation(exon5, exon3, intron5, intron3, canonical, frame)


def confidence(c: Cluster, ann: Annotation, t: Thresholds) -> Confidence:
    """high / medium / low, as docs/calling.md states."""
    if not c.exact or not ann.canonical or ann.reading_frame == "out-of-frame":
        return "low"
    if c.support >= t.high_support and c.split_molecules >= t.high_split_reads:
        return "high"
    return "medium"


def passes(c: Cluster, t: Thresholds) -> bool:
    return c.support >= t.min_support and c.split_molecules >= t.min_split_reads


def place(
    c: Cluster,
    fasta: pysam.FastaFile,
    style: ContigStyle,
    models: GeneModels,
    rna: bool,
    limit: int,
) -> tuple[Breakend, Breakend]:
    """One fixed placement of an exact join that shared bases leave ambiguous: RNA at the exon
    boundaries where the sequence allows it, otherwise (and in DNA) the 5'-most."""
    joins = equivalent_joins(fasta, style, c.five, c.three, limit)
    if rna:
        at_boundaries = [j for j in joins if models.at_exon_boundaries(*j)]
        return at_boundaries[0] if at_boundaries else (c.five, c.three)
    return joins[-1]


@dataclass(frozen=True)
class Context:
    """What annotating a record needs besides the cluster."""

    target: Target
    models: GeneModels
    style: ContigStyle
    t: Thresholds
    rna: bool
    fasta: pysam.FastaFile | None
    bam: pysam.AlignmentFile | None = None  # junction reads, for the sequence without a FASTA


def shown_clusters(clusters: list[Cluster], target: Target, t: Thresholds) -> list[Cluster]:
    """Passing clusters, plus the best sub-threshold target cluster."""
    shown: list[Cluster] = []
    for c in clusters:
        first_target = target.kind(c.partners) == "target" and not any(
            target.kind(s.partners) == "target" for s in shown
        )
        if passes(c, t) or first_target:
            shown.append(c)
    return shown


def records(
    clusters: list[Cluster], removed: dict[tuple[str, str], Counter[str]], ctx: Context
) -> list[FusionRecord]:
    return [r for r, _ in annotated(clusters, removed, ctx)]


def annotated(
    clusters: list[Cluster], removed: dict[tuple[str, str], Counter[str]], ctx: Context
) -> list[tuple[FusionRecord, Cluster]]:
    """Each record with the cluster it describes (whose reads the evidence BAM holds), in the
    order of the result's ``fusions``."""
    out = [(record(c, removed.get(c.partners, Counter()), ctx), c) for c in clusters]
    out.sort(
        key=lambda rc: (_KIND_ORDER[rc[0].kind], not rc[0].passed, -rc[0].supporting_fragments)
    )
    return out


#: Bases of each partner in the junction sequence.
JUNCTION_FLANK = 50


def junction_sequence(
    c: Cluster, tx5: Transcript | None, tx3: Transcript | None, ctx: Context
) -> tuple[str | None, SequenceSource | None]:
    """The fused transcript (RNA) or joined genome (DNA), up to :data:`JUNCTION_FLANK` bases
    either side, marked ``5' part|3' part``: from the FASTA when given, else the consensus of
    the reads across the junction.  None for an imprecise (spanning-only) junction."""
    if not c.exact:
        return None, None
    if ctx.fasta is not None:
        txs = (tx5, tx3) if ctx.rna else (None, None)
        seq = joined_sequence(ctx.fasta, ctx.style, c.five, c.three, txs, JUNCTION_FLANK)
        return seq, "reference"
    if ctx.bam is not None:
        consensus = read_consensus(ctx.bam, ctx.style, c, JUNCTION_FLANK)
        if consensus is not None:
            return consensus, "reads"
    return None, None


def _locus(b: Breakend, style: ContigStyle) -> str:
    return f"{style.to_bam(b.chrom)}:{b.pos}"


def record(c: Cluster, removed: Counter[str], ctx: Context) -> FusionRecord:
    models, style = ctx.models, ctx.style
    if ctx.fasta is not None and c.exact:
        c.five, c.three = place(c, ctx.fasta, style, models, ctx.rna, ctx.t.slide_limit)
    ann = annotate(c.five, c.three, models, ctx.rna)
    tx5 = models.gene_at(c.five.chrom, c.five.pos)
    tx3 = models.gene_at(c.three.chrom, c.three.pos)
    protein = None
    if ctx.fasta and tx5 and tx3 and ann.exon_5p and ann.exon_3p and c.exact:
        protein = fusion_protein(ctx.fasta, style, tx5, ann.exon_5p, tx3, ann.exon_3p)
    kind = ctx.target.kind(c.partners)
    jtype = ctx.target.junction_type(ann.exon_5p, ann.exon_3p) if kind == "target" else None
    sequence, source = junction_sequence(c, tx5, tx3, ctx)
    return FusionRecord(
        five_prime_gene=tx5.gene if tx5 else _locus(c.five, style),
        three_prime_gene=tx3.gene if tx3 else _locus(c.three, style),
        kind=kind,
        breakpoint_5p=_locus(c.five, style),
        breakpoint_3p=_locus(c.three, style),
        side_5p=c.five.keeps,
        side_3p=c.three.keeps,
        breakpoint_precision="exact" if c.exact else "imprecise",
        canonical=ann.canonical,
        exon_5p=ann.exon_5p,
        exon_3p=ann.exon_3p,
        intron_5p=ann.intron_5p,
        intron_3p=ann.intron_3p,
        transcript_5p=tx5.label if tx5 else None,
        transcript_3p=tx3.label if tx3 else None,
        split_reads=c.split_molecules,
        spanning_pairs=c.spanning_molecules,
        supporting_fragments=c.support,
        supporting_reads=c.reads,
        reading_frame=ann.reading_frame,  # type: ignore[arg-type]
        confidence=confidence(c, ann, ctx.t),
        type_label=jtype.label if jtype else None,
        reported_type=jtype.reported if jtype else None,
        fusion_protein=protein,
        filters=dict(sorted(removed.items())),
        passed=passes(c, ctx.t),
        junction_sequence=sequence,
        junction_sequence_source=source,
    )
