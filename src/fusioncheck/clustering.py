"""Orient observations and cluster them into junctions.

1. *Orient* each observation: which side is the 5' partner (from the gene's strand and the side
   of the breakend it keeps), and whether a sense fusion can make it (``sense``) or it is
   transcriptional read-through (``read_through``); the filters judge those facts.
2. *Cluster* split evidence of each partner pair into junctions; add spanning pairs that fit a
   junction; group the remaining spanning pairs on their own (imprecise).  Support is counted in
   molecules (:mod:`fusioncheck.molecules`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from fusioncheck import molecules
from fusioncheck.config import Thresholds
from fusioncheck.genes import GeneModels, Transcript
from fusioncheck.model import Breakend, Junction, Observation


def _implied_strand(five_side: bool, keeps: str) -> str:
    """Strand a gene must be on to keep this side as its 5' (or 3') part."""
    return "+" if five_side == (keeps == "below") else "-"


def orient(
    obs: Observation, models: GeneModels, genes: tuple[str, str], t: Thresholds
) -> Junction | None:
    """The observation as a 5'->3' junction, or None when it concerns neither of ``genes`` (the
    target's) or joins a gene to itself."""
    txs = [models.gene_at(b.chrom, b.pos) for b in (obs.a, obs.b)]
    names = [g.gene if g else None for g in txs]
    if not any(n in genes for n in names) or (names[0] is not None and names[0] == names[1]):
        return None
    # A known gene is 5' when it keeps the part upstream of the break in its own direction.
    roles = [
        None if g is None else (g.strand == "+") == (b.keeps == "below")
        for g, b in zip(txs, (obs.a, obs.b))
    ]
    sense = roles[0] is None or roles[1] is None or roles[0] != roles[1]
    first_is_five = roles[0] if roles[0] is not None else not roles[1]
    if first_is_five:
        five, three, five_gene, three_gene = obs.a, obs.b, names[0], names[1]
    else:
        five, three, five_gene, three_gene = obs.b, obs.a, names[1], names[0]
    through = _is_read_through(five, three, t)
    return Junction(obs, five, three, five_gene, three_gene, sense, through)


def _is_read_through(five: Breakend, three: Breakend, t: Thresholds) -> bool:
    if five.chrom != three.chrom or abs(five.pos - three.pos) > t.read_through_distance:
        return False
    strand = _implied_strand(True, five.keeps)
    if strand != _implied_strand(False, three.keeps):
        return False
    return five.pos < three.pos if strand == "+" else five.pos > three.pos


@dataclass
class Cluster:
    """A junction and the fragments supporting it (fragment name -> molecule key)."""

    partners: tuple[str, str]
    five: Breakend
    three: Breakend
    exact: bool
    split: dict[str, str] = field(default_factory=dict)
    spanning: dict[str, str] = field(default_factory=dict)
    max_umi_mismatches: int = 1

    @property
    def split_molecules(self) -> int:
        return molecules.count(self.split.values(), self.max_umi_mismatches)

    @property
    def support(self) -> int:
        """Molecules with a read across the junction or a mate on each side."""
        keys = [*self.split.values(), *self.spanning.values()]
        return molecules.count(keys, self.max_umi_mismatches)

    @property
    def spanning_molecules(self) -> int:
        return max(0, self.support - self.split_molecules)

    @property
    def reads(self) -> int:
        """Fragments before PCR copies are collapsed."""
        return len(self.split) + len(self.spanning)


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
    clusters.sort(key=lambda c: (-c.support, -c.split_molecules, c.five, c.three))
    return clusters


def _cluster_pair(
    partners: tuple[str, str],
    group: list[Junction],
    models: GeneModels,
    t: Thresholds,
    rna: bool,
) -> list[Cluster]:
    splits = [j for j in group if j.observation.is_split]
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
        at_boundary = [k for k in members if rna and models.at_exon_boundaries(*k)]
        best = max(at_boundary or members, key=lambda k: (remaining[k], k))
        c = Cluster(partners, best[0], best[1], True, max_umi_mismatches=t.umi_max_mismatches)
        member_set = set(members)
        c.split = {
            j.observation.fragment: j.observation.molecule
            for j in splits
            if (j.five, j.three) in member_set
        }
        clusters.append(c)
        for k in members:
            del remaining[k]
    split_fragments = {j.observation.fragment for j in splits}
    pending: list[Junction] = []
    for j in group:
        if j.observation.is_split or j.observation.fragment in split_fragments:
            continue
        home = _fitting_cluster(j, clusters, models, t, rna)
        if home is None:
            pending.append(j)
        else:
            home.spanning[j.observation.fragment] = j.observation.molecule
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
                c.spanning[j.observation.fragment] = j.observation.molecule
                c.five = _outermost(c.five, j.five)
                c.three = _outermost(c.three, j.three)
                break
        else:
            c = Cluster(partners, j.five, j.three, False, max_umi_mismatches=t.umi_max_mismatches)
            c.spanning[j.observation.fragment] = j.observation.molecule
            clusters.append(c)
    return clusters


def _outermost(a: Breakend, b: Breakend) -> Breakend:
    """Of two mate ends, the one nearer the junction."""
    return max(a, b, key=lambda x: x.pos) if a.keeps == "below" else min(a, b, key=lambda x: x.pos)


def removed_fragments(junctions: list[Junction]) -> dict[tuple[tuple[str, str], str], str]:
    """(partner pair, fragment) -> the first filter that removed it, for fragments with no
    passing evidence for that pair."""
    passing = {(j.partners, j.observation.fragment) for j in junctions if j.filter is None}
    first: dict[tuple[tuple[str, str], str], str] = {}
    for j in junctions:
        key = (j.partners, j.observation.fragment)
        if j.filter is not None and key not in passing:
            first.setdefault(key, j.filter)
    return first


def filter_counts(
    removed: dict[tuple[tuple[str, str], str], str],
) -> dict[tuple[str, str], Counter[str]]:
    """Per partner pair, fragments removed by each filter (from :func:`removed_fragments`:
    fragments with no passing evidence for that pair, each under its first failing filter)."""
    out: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for (partners, _fragment), reason in removed.items():
        out[partners][reason] += 1
    return out
