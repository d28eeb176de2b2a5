"""The filters: one object per artefact, applied in one declared order.

Read filters decide from a read's SAM flag, before it is looked at; ``malformed_tag`` is
decided where a tag is parsed (a read whose SA or MC tag cannot be parsed gives no evidence).
Junction filters judge each oriented observation: the first that removes it is recorded on it,
so evidence is marked, never silently dropped.  Names are the same in the JSON ``filters``
fields, the config's ``disabled_filters`` and docs/calling.md.

To add a filter: write its test, add a :class:`JunctionFilter` to ``JUNCTION_FILTERS`` where
it belongs in the order, and document it (docs/extending.md shows a worked example).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace

from fusioncheck.config import Thresholds
from fusioncheck.errors import UsageError
from fusioncheck.model import Junction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReadFilter:
    name: str
    description: str
    flag: int  # SAM flag bit that removes the read; 0: decided where its tags are parsed


@dataclass(frozen=True)
class JunctionFilter:
    name: str
    description: str
    removes: Callable[[Junction, Thresholds], bool]


def is_low_complexity(seq: str) -> bool:
    """Homopolymer- or dinucleotide-dominated sequence, which matches too many places."""
    seq = seq.upper()
    if not seq:
        return True
    top_base = max(seq.count(b) for b in "ACGT") / len(seq)
    dinucleotides = {seq[i : i + 2] for i in range(0, len(seq) - 1)}
    return top_base >= 0.7 or len(dinucleotides) <= 4


READ_FILTERS: tuple[ReadFilter, ...] = (
    ReadFilter("secondary", "secondary alignment (0x100): the read's primary record counts", 0x100),
    ReadFilter("qc_fail", "read flagged as failing platform/vendor quality checks (0x200)", 0x200),
    ReadFilter("malformed_tag", "an SA or MC tag that does not follow the SAM specification", 0),
)

JUNCTION_FILTERS: tuple[JunctionFilter, ...] = (
    JunctionFilter(
        "duplicates",
        "read flagged as PCR/optical duplicate (0x400)",
        lambda j, t: j.observation.duplicate,
    ),
    JunctionFilter(
        "low_mapq",
        "an alignment below min_mapq: multi-mapping, paralogous or homologous sequence",
        lambda j, t: j.observation.mapq < t.min_mapq,
    ),
    JunctionFilter(
        "short_anchor",
        "fewer than min_anchor bases aligned on one side of the junction",
        lambda j, t: j.observation.anchor is not None and j.observation.anchor < t.min_anchor,
    ),
    JunctionFilter(
        "low_complexity",
        "the junction-side sequence is a homopolymer or short repeat",
        lambda j, t: (
            j.observation.junction_seq is not None and is_low_complexity(j.observation.junction_seq)
        ),
    ),
    JunctionFilter(
        "homology",
        "the clipped sequence matches more than one locus, or its own gene",
        lambda j, t: j.observation.own_gene or j.observation.placements > 1,
    ),
    JunctionFilter(
        "orientation",
        "both sides keep their 5' (or both their 3') part: not a sense fusion",
        lambda j, t: not j.sense,
    ),
    JunctionFilter(
        "read_through",
        "same-strand neighbour on the same chromosome: transcriptional read-through",
        lambda j, t: j.read_through,
    ),
)

#: Every filter name with its description, in the order applied.
FILTERS: dict[str, str] = {
    **{f.name: f.description for f in READ_FILTERS},
    **{f.name: f.description for f in JUNCTION_FILTERS},
}


def check_disabled(t: Thresholds) -> None:
    unknown = sorted(set(t.disabled_filters) - set(FILTERS))
    if unknown:
        raise UsageError(
            f"disabled_filters: unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTERS)}"
        )


def read_flag_mask(t: Thresholds) -> int:
    """SAM flag bits that remove a read before it is looked at."""
    mask = 0
    for f in READ_FILTERS:
        if f.name not in t.disabled_filters:
            mask |= f.flag
    return mask


def apply(junctions: list[Junction], t: Thresholds) -> list[Junction]:
    """Each junction marked with the first active filter that removes it; per-filter counts
    logged (``--verbose``)."""
    active = [f for f in JUNCTION_FILTERS if f.name not in t.disabled_filters]
    out = []
    removed: Counter[str] = Counter()
    for j in junctions:
        name = next((f.name for f in active if f.removes(j, t)), None)
        removed[name or "passed"] += 1
        out.append(replace(j, filter=name) if name else j)
    for f in active:
        log.info("filter %-14s removed %d of %d observations", f.name, removed[f.name], len(out))
    return out
