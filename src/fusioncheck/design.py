"""The assay design: what kind of library it is, and which side(s) of the fusion it can see.

Designs (docs/assays.md): ``wts`` whole transcriptome; ``amp`` anchored multiplex PCR with
primers in the 3' gene; ``rna_capture`` hybrid-capture RNA; ``dna_capture`` hybrid-capture DNA.
``rna`` and ``dna`` are kept as aliases of ``wts`` and ``dna_capture``; ``auto`` takes RNA or
DNA from the spliced reads.  A negative can be called only on the side(s) the assay covers:
from a ``targets`` BED when one is given, from the design (``amp``: the primed 3' gene), or
else inferred from coverage (a side with almost no informative molecules is not covered).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from fusioncheck.config import Thresholds
from fusioncheck.errors import InputError, UsageError
from fusioncheck.genes import (
    ASSEMBLY_LENGTHS,
    BUILDS,
    ContigStyle,
    GeneModels,
    Transcript,
    load,
)
from fusioncheck.model import Assay, Design, Observation
from fusioncheck.target import Partner, Target

SideName = Literal["5p", "3p"]
DESIGNS = ("auto", "wts", "amp", "rna_capture", "dna_capture", "rna", "dna")
_ALIASES: dict[str, Design] = {"rna": "wts", "dna": "dna_capture"}
_RNA_DESIGNS = ("wts", "amp", "rna_capture")


@dataclass(frozen=True)
class Interval:
    chrom: str  # chr-style
    start: int  # 1-based closed
    end: int


def check_design(design: str) -> None:
    if design not in DESIGNS:
        raise UsageError(f"assay {design!r}: use one of {', '.join(DESIGNS)}")


def resolve(requested: str, spliced_rna: bool, sides: list[SideName]) -> tuple[Assay, Design]:
    """(assay, design) from the requested design, whether the reads look like RNA, and the
    sides covered (an ``auto`` RNA library covering one side is a capture panel)."""
    if requested == "auto":
        if not spliced_rna:
            return "dna", "dna_capture"
        return "rna", ("wts" if len(sides) == 2 else "rna_capture")
    resolved = _ALIASES.get(requested, requested)
    return ("rna" if resolved in _RNA_DESIGNS else "dna"), resolved  # type: ignore[return-value]


def is_rna(requested: str, spliced_rna: bool) -> bool:
    if requested == "auto":
        return spliced_rna
    return _ALIASES.get(requested, requested) in _RNA_DESIGNS


def spliced_splits(observations: Iterable[Observation], models: GeneModels, slack: int = 3) -> int:
    """Split reads joining an exon end of a gene to an exon start of the same gene: splices as
    a splice-unaware aligner (BWA-MEM) writes them, as SA records instead of ``N``.  ``slack``
    bases either way, as the aligner may give bases both exons share to either part."""

    def near(pos: int, sites: frozenset[int]) -> bool:
        return any(pos + d in sites for d in range(-slack, slack + 1))

    n = 0
    for o in observations:
        tx = models.gene_at(o.a.chrom, o.a.pos) if o.source == "SA" else None
        if tx is None or not tx.contains(o.b.chrom, o.b.pos) or abs(o.a.pos - o.b.pos) <= slack:
            continue
        ends = (o.a.pos, o.b.pos)
        if any(near(x, tx.donors) and near(y, tx.acceptors) for x, y in (ends, ends[::-1])):
            n += 1
    return n


def _junction_spans(p: Partner, tx: Transcript, rna: bool) -> list[tuple[int, int]]:
    if rna:
        return [(tx.exon(n).start, tx.exon(n).end) for n in p.junction_exons]
    return [tx.intron(n) for n in p.junction_introns]


def covered_sides(
    requested: str,
    baits: list[Interval] | None,
    target: Target,
    build: str,
    informative: tuple[float, float],
    rna: bool,
    t: Thresholds,
) -> list[SideName]:
    """The side(s) whose informative molecules decide a negative: those a BED's baits cover;
    for ``amp`` the primed 3' gene; for ``auto`` and capture designs, the side(s) with
    coverage; otherwise both."""
    names: tuple[SideName, SideName] = ("5p", "3p")
    if baits is not None:
        models = target.models(build)
        out = []
        for name, p in zip(names, target.partners):
            tx = models[p.gene]
            spans = _junction_spans(p, tx, rna)
            if any(
                b.chrom == tx.chrom and b.start <= hi and b.end >= lo
                for b in baits
                for lo, hi in spans
            ):
                out.append(name)
        return out or list(names)
    if requested == "amp":
        return ["3p"]
    five, three = informative
    if requested in ("auto", "rna_capture", "dna_capture"):
        if five < t.uncovered_side_ratio * three:
            return ["3p"]
        if three < t.uncovered_side_ratio * five:
            return ["5p"]
    return list(names)


def read_baits(path: Path, target: Target, build: str, style: ContigStyle) -> list[Interval]:
    """A BED of baits or primers, checked against the BAM's build and contig naming and the
    target genes: every problem is an :class:`InputError` naming the file and the fix."""
    intervals = _parse_bed(path, style)
    lengths = ASSEMBLY_LENGTHS[build]
    past = [i for i in intervals if i.chrom in lengths and i.end > lengths[i.chrom]]
    if past:
        raise InputError(
            f"{path}: {past[0].chrom}:{past[0].end} lies past the end of {past[0].chrom} in "
            f"{build}: the BED is for another build; lift it over to {build}"
        )
    if _overlaps_genes(intervals, target, build):
        return intervals
    other = [b for b in BUILDS if b != build and _overlaps_genes(intervals, target, b)]
    hint = (
        f"it overlaps them in {other[0]}: lift it over to {build}"
        if other
        else "pass the panel's own BED of baits or primers"
    )
    genes = " or ".join(p.gene for p in target.partners)
    raise InputError(f"{path}: no interval overlaps {genes} in {build}; {hint}")


def _overlaps_genes(intervals: list[Interval], target: Target, build: str) -> bool:
    models = load(build, target.gene_models)
    for p in target.partners:
        tx = models[p.gene]
        if any(i.chrom == tx.chrom and i.start <= tx.end and i.end >= tx.start for i in intervals):
            return True
    return False


def _parse_bed(path: Path, style: ContigStyle) -> list[Interval]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the targets BED ({exc.strerror})") from exc
    out = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith(("#", "track", "browser")):
            continue
        fields = line.split("\t")
        if len(fields) < 3 or not (fields[1].isdigit() and fields[2].isdigit()):
            raise InputError(
                f"{path}, line {number}: not a BED line (chrom<TAB>start<TAB>end): {line[:60]!r}"
            )
        chrom = fields[0]
        if (style.style == "chr") != chrom.startswith("chr"):
            raise InputError(
                f"{path}, line {number}: contig {chrom!r} is named in the other style than the "
                f"BAM ({'chr17' if style.style == 'chr' else '17'}); rename the BED's contigs"
            )
        out.append(Interval(style.from_bam(chrom), int(fields[1]) + 1, int(fields[2])))
    if not out:
        raise InputError(f"{path}: the targets BED holds no intervals")
    return out
