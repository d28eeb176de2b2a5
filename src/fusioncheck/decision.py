"""The sample's call: one pure function of typed facts (docs/calling.md states the rules).

Everything the scan measured reaches :func:`decide` as a :class:`Facts`; nothing here reads a
BAM, a file or a clock, so every rule is unit-tested with literal inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from fusioncheck.config import Thresholds
from fusioncheck.model import Call, Confidence, FusionRecord


@dataclass(frozen=True)
class Facts:
    fusion: str  # the target's name, e.g. "ASPSCR1::TFE3"
    genes: tuple[str, str]  # its 5' and 3' genes
    detected: FusionRecord | None  # best passing target record
    blocking: FusionRecord | None  # best sub-threshold record that could be the fusion
    listed: FusionRecord | None  # best sub-threshold record that could not (noise)
    reads_in_windows: int
    imbalanced: bool  # 3' gene exon imbalance (RNA)
    unchecked_clips: int  # soft clips that could not be matched (no FASTA)
    unchecked_unmapped: int  # unmapped reads beside a mate that could not be placed (no FASTA)
    has_fasta: bool
    unmatched_junction_clips: int  # reads clipped at a junction exon by unknown sequence
    detectable_fraction: float | None
    required_fraction: float
    rna: bool


@dataclass(frozen=True)
class Decision:
    call: Call
    confidence: Confidence | None
    reason: str


def decide(f: Facts, t: Thresholds) -> Decision:
    """DETECTED on passing evidence; otherwise every reason the fusion could have been missed
    is checked, in order, before NOT_DETECTED."""
    if f.detected is not None:
        d = f.detected
        return Decision(
            "DETECTED",
            d.confidence,
            f"{d.supporting_fragments} supporting molecules ({d.split_reads} with a read across "
            f"the junction, {d.spanning_pairs} spanning pairs) join {d.breakpoint_5p} to "
            f"{d.breakpoint_3p}",
        )
    for rule in (_no_reads, _sub_threshold, _imbalance, _unchecked, _unmatched, _coverage):
        reason = rule(f, t)
        if reason is not None:
            return Decision("INDETERMINATE", None, reason)
    reason = f"no {f.fusion} junction read, with coverage enough to have seen one"
    if f.listed is not None:
        reason += (
            f"; {f.listed.supporting_fragments} chimeric molecule(s) away from any junction the "
            "fusion uses are listed, consistent with background chimeras"
        )
    return Decision("NOT_DETECTED", None, reason)


def _no_reads(f: Facts, t: Thresholds) -> str | None:
    if f.reads_in_windows:
        return None
    return f"no reads in the {f.genes[0]} and {f.genes[1]} windows"


def _sub_threshold(f: Facts, t: Thresholds) -> str | None:
    b = f.blocking
    if b is None:
        return None
    why = (
        f"only {b.split_reads} molecules with a read across the junction"
        if b.supporting_fragments >= t.min_support
        else f"{b.supporting_fragments} molecules ({t.min_support} needed)"
    )
    removed = ", ".join(f"{n} by {name}" for name, n in b.filters.items() if n)
    if removed:
        why += f"; more fragments between {f.genes[0]} and {f.genes[1]} were removed ({removed})"
    if b.filters.get("low_mapq"):
        # A fusion whose partner sequence is repeated in the reference can only be seen here.
        why += "; low_mapq: multi-mapping reads, the sequence is not unique in this reference"
    return f"{f.fusion} evidence below the detection threshold: {why}"


def _imbalance(f: Facts, t: Thresholds) -> str | None:
    if not f.imbalanced:
        return None
    three = f.genes[1]
    return (
        f"{three} rearrangement suspected: {three} 3' exons are over-represented against its 5' "
        "exons, but no junction read shows the partner; confirm by FISH or another assay"
    )


def _unchecked(f: Facts, t: Thresholds) -> str | None:
    if f.has_fasta or not (f.unchecked_clips + f.unchecked_unmapped):
        return None
    return (
        f"{f.unchecked_clips} soft-clipped and {f.unchecked_unmapped} unmapped reads at the loci "
        "could not be checked for a fusion junction without the genome FASTA: rerun with "
        "--reference"
    )


def _unmatched(f: Facts, t: Thresholds) -> str | None:
    n = f.unmatched_junction_clips
    if n <= t.max_unmatched_junction_clips:
        return None
    return (
        f"{n} reads at the junction exons are soft-clipped by sequence that matches no known "
        "gene: a fusion with a partner the resources do not hold, or a FASTA other than the one "
        "the reads were aligned to; check the FASTA and the clipped reads"
    )


def _coverage(f: Facts, t: Thresholds) -> str | None:
    fraction, needed = f.detectable_fraction, f.required_fraction
    if fraction is not None and fraction <= needed:
        return None
    what = "transcripts" if f.rna else "alleles"
    if fraction is None:
        shown = "no informative molecules"
    elif fraction > 1:
        shown = f"not even a fusion in all {what} would reliably give {t.min_support} molecules"
    else:
        shown = f"a fusion would need to be in at least {fraction:.0%} of {what} to be seen"
    return (
        f"coverage at the junction is too low to exclude the fusion ({shown}; "
        f"NOT_DETECTED needs {needed:.0%} or less)"
    )
