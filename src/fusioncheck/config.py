"""Thresholds of the call; each default is documented in docs/calling.md."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from fusioncheck.errors import UsageError


@dataclass(frozen=True)
class Thresholds:
    #: Supporting fragments (split + spanning, each fragment once) needed for DETECTED.
    min_support: int = 3
    #: Of those, fragments with a read across the junction (fixes the exact breakpoint).
    min_split_reads: int = 1
    #: Alignments below this MAPQ are multi-mapping (STAR 3/1/0, BWA 0) and do not count.
    min_mapq: int = 10
    #: Bases a read must align on each side of a junction (split anchor or soft clip).
    min_anchor: int = 20
    #: Largest mismatch fraction when a soft clip is matched to the partner sequence.
    max_clip_mismatch_rate: float = 0.1
    #: Bases added each side of a target gene when fetching reads.
    flank: int = 2000
    #: Largest insert (bases, transcript or genome) for a spanning pair to support a junction.
    max_insert: int = 1000
    #: Split reads whose breakpoints differ by at most this many bases are one junction.
    breakpoint_tolerance: int = 10
    #: Same-strand chimeras closer than this (bases) are transcriptional read-through.
    read_through_distance: int = 500_000
    #: high confidence: at least this many fragments ...
    high_support: int = 5
    #: ... of which at least this many split reads, at canonical breakpoints, not out of frame.
    high_split_reads: int = 2
    #: NOT_DETECTED only if a fusion at this fraction (RNA: of transcripts at the junction
    #: exons; DNA: allele fraction) would have given min_support fragments with 95% probability.
    negative_max_fraction: float = 0.10
    #: Bases at the end of a junction exon a fragment must touch to count as informative (RNA).
    junction_window: int = 30
    #: TFE3 exon imbalance (RNA): mean depth of exons 7-9 over exons 2-3 in samples
    #: without a TFE3 rearrangement.  1.0 fits uniform coverage; calibrate on your own normals.
    imbalance_reference_ratio: float = 1.0
    #: ... and the fold above that reference from which a rearrangement is suspected.
    imbalance_max_fold: float = 3.0
    #: Fragments needed over both exon blocks before the imbalance is assessed.
    imbalance_min_fragments: int = 40
    #: Probability with which the stated detectable fraction gives min_support fragments.
    power: float = 0.95
    #: NOT_DETECTED with a stated tumour content needs the fusion fraction it implies to be
    #: detectable: tumour content x this share (one rearranged allele of two per tumour cell).
    fusion_share_per_tumour_cell: float = 0.5
    #: ``auto`` design: a side whose informative count is below this fraction of the other
    #: side's is taken as not covered by the assay (a one-partner panel).
    uncovered_side_ratio: float = 0.05
    #: Assay ``auto``: RNA when at least this fraction of reads in the windows is spliced.
    rna_spliced_fraction: float = 0.01
    #: More reads than this soft-clipped at a junction exon by sequence matching no known gene
    #: make a negative INDETERMINATE (an unknown partner, or not the FASTA the reads were
    #: aligned to).
    max_unmatched_junction_clips: int = 2
    #: UMIs differing at this many bases (0 or 1) are one molecule (sequencing errors).
    umi_max_mismatches: int = 1
    #: k-mer length of the partner-sequence index (soft clips shorter cannot be placed).
    kmer: int = 16
    #: Unmapped-read rescue: extension score per mismatch (a match scores +1) ...
    xdrop_mismatch: int = 4
    #: ... and how far below its best the score may fall before the extension stops.
    xdrop: int = 12
    #: Bases a DNA join may slide through shared sequence toward the 5' partner.
    slide_limit: int = 50
    #: Filters switched off by name (see docs/calling.md); the report says so.
    disabled_filters: tuple[str, ...] = ()


def load_thresholds(path: str | Path | None) -> Thresholds:
    """Defaults, overridden by the keys of a YAML mapping (or its ``thresholds:`` section)."""
    if path is None:
        return Thresholds()
    import yaml  # here, not at the top: every scan imports this module, few read a YAML

    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"{path}: cannot read thresholds ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("thresholds"), dict):
        data = data["thresholds"]
    if not isinstance(data, dict):
        raise UsageError(f"{path}: thresholds must be a YAML mapping of name: value")
    known = {f.name: f.type for f in fields(Thresholds)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise UsageError(
            f"{path}: unknown threshold(s) {', '.join(unknown)}; known: {', '.join(known)}"
        )
    defaults = Thresholds()
    typed: dict[str, Any] = {}
    for key, value in data.items():
        kind = type(getattr(defaults, key))
        if kind is tuple and not isinstance(value, list):
            raise UsageError(f"{path}: {key} must be a list, got {value!r}")
        try:
            typed[key] = tuple(str(v) for v in value) if kind is tuple else kind(value)
        except (TypeError, ValueError):
            raise UsageError(f"{path}: {key} must be a {kind.__name__}, got {value!r}") from None
    return replace(defaults, **typed)


def as_dict(thresholds: Thresholds) -> dict[str, int | float | list[str]]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(thresholds).items()}
