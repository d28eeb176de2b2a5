"""From observations to fusion records and the sample's call.

1. *Orient* each observation: which side is the 5' partner (from the gene's strand and the side
   of the breakend it keeps), and mark chimeras no sense fusion can make (``orientation``) or
   that are transcriptional read-through (``read_through``).
2. *Cluster* split evidence of each partner pair into junctions; add spanning pairs that fit a
   junction; group the remaining spanning pairs on their own (imprecise).
3. *Annotate* each junction with exons, introns, frame and protein, and *call* the sample.

The call rules are written out in docs/calling.md; keep the two in step.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from fusioncheck.config import Thresholds
from fusioncheck.evidence import Breakend, Observation
from fusioncheck.genes import (
    FIVE_PRIME_TARGET,
    THREE_PRIME_TARGET,
    GeneModels,
    Transcript,
    reading_frame,
)

TARGETS = (FIVE_PRIME_TARGET, THREE_PRIME_TARGET)
TYPE_LABELS = {(7, 6): "type 1", (7, 5): "type 2"}


@dataclass(frozen=True)
class Junction:
    """An observation put in transcription order: 5' partner breakend, 3' partner breakend."""

    fragment: str
    split: bool
    five: Breakend
    three: Breakend
    five_gene: str | None  # None: no known gene at that locus
    three_gene: str | None
    filter: str | None

    @property
    def partners(self) -> tuple[str, str]:
        """Key of the partner pair; an unknown locus is keyed by its chromosome."""
        return (
            self.five_gene or f"{self.five.chrom}:?",
            self.three_gene or f"{self.three.chrom}:?",
        )


def _implied_strand(five_side: bool, keeps: str) -> str:
    """Strand a gene must be on to keep this side as its 5' (or 3') part."""
    return "+" if five_side == (keeps == "below") else "-"


def orient(obs: Observation, models: GeneModels, t: Thresholds) -> Junction | None:
    """The observation as a 5'->3' junction, or None when it concerns neither target gene or
    joins a gene to itself."""
    genes = [models.gene_at(b.chrom, b.pos) for b in (obs.a, obs.b)]
    names = [g.gene if g else None for g in genes]
    if not any(n in TARGETS for n in names) or (names[0] is not None and names[0] == names[1]):
        return None
    # A known gene is 5' when it keeps the part upstream of the break in its own direction.
    roles = [
        None if g is None else (g.strand == "+") == (b.keeps == "below")
        for g, b in zip(genes, (obs.a, obs.b))
    ]
    reason = obs.filter
    if roles[0] is None:
        roles[0] = not roles[1]
    elif roles[1] is None:
        roles[1] = not roles[0]
    elif roles[0] == roles[1] and reason is None:
        reason = "orientation"
    if roles[0]:
        five, three, five_gene, three_gene = obs.a, obs.b, names[0], names[1]
    else:
        five, three, five_gene, three_gene = obs.b, obs.a, names[1], names[0]
    if reason is None and _is_read_through(five, three, t):
        reason = "read_through"
    return Junction(obs.fragment, obs.is_split, five, three, five_gene, three_gene, reason)


def _is_read_through(five: Breakend, three: Breakend, t: Thresholds) -> bool:
    if five.chrom != three.chrom or abs(five.pos - three.pos) > t.read_through_distance:
        return False
    strand = _implied_strand(True, five.keeps)
    if strand != _implied_strand(False, three.keeps):
        return False
    return five.pos < three.pos if strand == "+" else five.pos > three.pos


@dataclass
class Cluster:
    partners: tuple[str, str]
    five: Breakend
    three: Breakend
    exact: bool
    split_fragments: set[str] = field(default_factory=set)
    spanning_fragments: set[str] = field(default_factory=set)

    @property
    def support(self) -> int:
        return len(self.split_fragments) + len(self.spanning_fragments)


def _retained_distance(bp: Breakend, mate: Breakend, tx: Transcript | None, rna: bool) -> int:
    """Bases from a mate's outer end to the breakpoint, walking the retained side (negative
    when the mate lies beyond the breakpoint).  RNA uses transcript distance when both are
    exonic, so introns do not count."""
    sign = 1 if bp.keeps == "below" else -1
    genomic = sign * (bp.pos - mate.pos)
    if rna and tx is not None and genomic >= 0:
        a, b = tx.tx_position(bp.pos), tx.tx_position(mate.pos)
        if a is not None and b is not None:
            return abs(a - b)
    return genomic


def cluster(
    junctions: list[Junction], models: GeneModels, t: Thresholds, rna: bool
) -> list[Cluster]:
    """Clusters of passing evidence, largest first."""
    passing = [j for j in junctions if j.filter is None]
    by_pair: dict[tuple[str, str], list[Junction]] = defaultdict(list)
    for j in passing:
        by_pair[j.partners].append(j)
    clusters: list[Cluster] = []
    for partners, group in by_pair.items():
        clusters.extend(_cluster_pair(partners, group, models, t, rna))
    clusters.sort(key=lambda c: (-c.support, -len(c.split_fragments), c.five, c.three))
    return clusters


def at_exon_boundaries(models: GeneModels, five: Breakend, three: Breakend) -> bool:
    """Is ``five`` a donor of its gene and ``three`` an acceptor of its gene?"""
    genes = (models.gene_at(five.chrom, five.pos), models.gene_at(three.chrom, three.pos))
    if genes[0] is None or genes[1] is None:
        return False
    donors = {genes[0].donor(e.number) for e in genes[0].exons}
    acceptors = {genes[1].acceptor(e.number) for e in genes[1].exons}
    return five.pos in donors and three.pos in acceptors


def _cluster_pair(
    partners: tuple[str, str],
    group: list[Junction],
    models: GeneModels,
    t: Thresholds,
    rna: bool,
) -> list[Cluster]:
    splits = [j for j in group if j.split]
    counts = Counter((j.five, j.three) for j in splits)
    clusters: list[Cluster] = []
    remaining = dict(counts)
    while remaining:
        center = max(remaining, key=lambda k: (remaining[k], k))
        members = [
            k
            for k in remaining
            if abs(k[0].pos - center[0].pos) <= t.breakpoint_tolerance
            and abs(k[1].pos - center[1].pos) <= t.breakpoint_tolerance
            and k[0].keeps == center[0].keeps
            and k[1].keeps == center[1].keeps
        ]
        # Aligners may slide a breakpoint through a few bases of microhomology; in RNA the
        # annotated exon boundary among the candidates is the real one.
        at_boundary = [k for k in members if rna and at_exon_boundaries(models, *k)]
        best = max(at_boundary or members, key=lambda k: (remaining[k], k))
        c = Cluster(partners, best[0], best[1], exact=True)
        member_set = set(members)
        c.split_fragments = {j.fragment for j in splits if (j.five, j.three) in member_set}
        clusters.append(c)
        for k in members:
            del remaining[k]
    split_fragments = {j.fragment for j in splits}
    pending: list[Junction] = []
    for j in group:
        if j.split or j.fragment in split_fragments:
            continue
        home = _fitting_cluster(j, clusters, models, t, rna)
        if home is None:
            pending.append(j)
        else:
            home.spanning_fragments.add(j.fragment)
    clusters.extend(_spanning_only(partners, pending, t))
    return clusters


def _fitting_cluster(
    j: Junction, clusters: list[Cluster], models: GeneModels, t: Thresholds, rna: bool
) -> Cluster | None:
    for c in clusters:
        if (j.five.keeps, j.three.keeps) != (c.five.keeps, c.three.keeps):
            continue
        tx5 = models.gene_at(c.five.chrom, c.five.pos)
        tx3 = models.gene_at(c.three.chrom, c.three.pos)
        d5 = _retained_distance(c.five, j.five, tx5, rna)
        d3 = _retained_distance(c.three, j.three, tx3, rna)
        slack = t.breakpoint_tolerance
        if d5 >= -slack and d3 >= -slack and d5 + d3 <= t.max_insert:
            return c
    return None


def _spanning_only(
    partners: tuple[str, str], pending: list[Junction], t: Thresholds
) -> list[Cluster]:
    """Group spanning pairs no junction read explains: mates within one insert of each other
    on both sides.  The breakpoint is imprecise: the innermost mate ends."""
    clusters: list[Cluster] = []
    for j in sorted(pending, key=lambda j: (j.five, j.three)):
        for c in clusters:
            if (
                (j.five.chrom, j.five.keeps, j.three.chrom, j.three.keeps)
                == (c.five.chrom, c.five.keeps, c.three.chrom, c.three.keeps)
                and abs(j.five.pos - c.five.pos) <= t.max_insert
                and abs(j.three.pos - c.three.pos) <= t.max_insert
            ):
                c.spanning_fragments.add(j.fragment)
                c.five = _outermost(c.five, j.five)
                c.three = _outermost(c.three, j.three)
                break
        else:
            c = Cluster(partners, j.five, j.three, exact=False)
            c.spanning_fragments.add(j.fragment)
            clusters.append(c)
    return clusters


def _outermost(a: Breakend, b: Breakend) -> Breakend:
    """Of two mate ends, the one nearer the junction."""
    return max(a, b, key=lambda x: x.pos) if a.keeps == "below" else min(a, b, key=lambda x: x.pos)


def filter_counts(junctions: list[Junction]) -> dict[tuple[str, str], Counter[str]]:
    """Per partner pair, fragments removed by each filter (fragments that had no passing
    evidence for that pair; each counted once, under its first failing filter)."""
    passing = {(j.partners, j.fragment) for j in junctions if j.filter is None}
    first: dict[tuple[tuple[str, str], str], str] = {}
    for j in junctions:
        key = (j.partners, j.fragment)
        if j.filter is not None and key not in passing:
            first.setdefault(key, j.filter)
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (partners, _fragment), reason in first.items():
        out[partners][reason] += 1
    return out


# --- sensitivity ------------------------------------------------------------------------------


def _poisson_at_least(k: int, lam: float) -> float:
    below = sum(math.exp(-lam) * lam**i / math.factorial(i) for i in range(k))
    return 1.0 - below


def detectable_fraction(informative: float, min_support: int, power: float = 0.95) -> float | None:
    """Smallest fusion fraction f for which Poisson(f * informative) >= min_support has
    probability ``power``; None when nothing informative was seen."""
    if informative <= 0:
        return None
    lo, hi = 0.0, 1000.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if _poisson_at_least(min_support, mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi / informative


# --- annotation -------------------------------------------------------------------------------


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
        canonical = at_exon_boundaries(models, five, three)
    else:
        canonical = intron5 is not None and intron3 is not None
    if tx5 is None or tx3 is None or exon5 is None or exon3 is None:
        frame = "unknown"
    else:
        frame = reading_frame(tx5, exon5, tx3, exon3)
    return Annotation(exon5, exon3, intron5, intron3, canonical, frame)


def confidence(c: Cluster, ann: Annotation, t: Thresholds) -> str:
    """high / medium / low, as docs/calling.md states."""
    if not c.exact or not ann.canonical or ann.reading_frame == "out-of-frame":
        return "low"
    if c.support >= t.high_support and len(c.split_fragments) >= t.high_split_reads:
        return "high"
    return "medium"


def passes(c: Cluster, t: Thresholds) -> bool:
    return c.support >= t.min_support and len(c.split_fragments) >= t.min_split_reads


def kind(partners: tuple[str, str]) -> str:
    if partners == (FIVE_PRIME_TARGET, THREE_PRIME_TARGET):
        return "target"
    if partners == (THREE_PRIME_TARGET, FIVE_PRIME_TARGET):
        return "reciprocal"
    return "other_partner"
