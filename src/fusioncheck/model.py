"""The typed vocabulary of a scan: breakends, evidence and the result document.

Everything here is a frozen dataclass: stages hand each other these objects, never dicts.  The
result (:class:`ScanResult`) has one way out, :func:`to_json`, and one way in,
:func:`load_result`, which validates against ``schemas/fusioncheck.schema.json``; the report,
the cohort table and the VCF all read results through it.
"""

from __future__ import annotations

import json
import types
import typing
from dataclasses import dataclass, fields, is_dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar, Union

from fusioncheck.errors import InputError

SCHEMA_VERSION = "1.1"

Call = Literal["DETECTED", "NOT_DETECTED", "INDETERMINATE"]
Confidence = Literal["high", "medium", "low"]
Kind = Literal["target", "reciprocal", "other_partner"]
Side = Literal["below", "above"]
Source = Literal["SA", "soft_clip", "unmapped_rescue", "mates"]
Status = Literal["present", "absent", "not_assessed"]
Balance = Literal["balanced", "imbalanced", "not_assessed"]
Assay = Literal["rna", "dna"]
Design = Literal["wts", "amp", "rna_capture", "dna_capture"]
SequenceSource = Literal["reference", "reads"]


# --- evidence ---------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Breakend:
    """A genomic position (1-based, chr-style name) and the side of it a chimeric molecule
    keeps: ``below`` the bases at and below it, ``above`` at and above."""

    chrom: str
    pos: int
    keeps: Side


@dataclass(frozen=True)
class Observation:
    """One fragment's claim that breakend ``a`` is joined to ``b``, with the facts the filters
    judge.  Read orientation is folded away: both strands of a molecule give the same one."""

    fragment: str
    molecule: str  # PCR copies of one molecule share this key (UMI or outer ends)
    source: Source
    a: Breakend
    b: Breakend
    duplicate: bool = False
    mapq: int = 255  # lowest MAPQ of the alignments involved
    anchor: int | None = None  # shortest aligned side of a split read
    junction_seq: str | None = None  # sequence placed on the partner (clip, unmapped read)
    placements: int = 1  # loci that sequence fits
    own_gene: bool = False  # it also fits the anchor's own gene

    @property
    def is_split(self) -> bool:
        return self.source != "mates"


@dataclass(frozen=True)
class Junction:
    """An observation put in transcription order (5' partner, 3' partner)."""

    observation: Observation
    five: Breakend
    three: Breakend
    five_gene: str | None  # None: no known gene at that locus
    three_gene: str | None
    sense: bool  # one side keeps its 5' part and the other its 3' part
    read_through: bool
    filter: str | None = None  # first filter that removes it

    @property
    def partners(self) -> tuple[str, str]:
        """Key of the partner pair; an unknown locus is keyed by its chromosome."""
        return (
            self.five_gene or f"{self.five.chrom}:?",
            self.three_gene or f"{self.three.chrom}:?",
        )


# --- the result document ----------------------------------------------------------------------


def position(text: str) -> tuple[str, int]:
    """A breakpoint field (``chr17:81996846``) as (chromosome, 1-based position)."""
    chrom, pos = text.rsplit(":", 1)
    return chrom, int(pos)


@dataclass(frozen=True)
class FusionRecord:
    five_prime_gene: str
    three_prime_gene: str
    kind: Kind
    breakpoint_5p: str
    breakpoint_3p: str
    side_5p: Side
    side_3p: Side
    breakpoint_precision: Literal["exact", "imprecise"]
    canonical: bool  # RNA: at exon boundaries; DNA: both breaks intronic
    exon_5p: int | None
    exon_3p: int | None
    intron_5p: int | None
    intron_3p: int | None
    transcript_5p: str | None
    transcript_3p: str | None
    split_reads: int
    spanning_pairs: int
    supporting_fragments: int
    supporting_reads: int
    reading_frame: Literal["in-frame", "out-of-frame", "non-coding", "unknown"]
    confidence: Confidence
    type_label: str | None
    reported_type: bool | None
    fusion_protein: str | None
    filters: dict[str, int]
    passed: bool
    # Added in 1.1 without being required: results written before them still load.
    junction_sequence: str | None = None  # "5' bases|3' bases", fusion orientation
    junction_sequence_source: SequenceSource | None = None


@dataclass(frozen=True)
class Reciprocal:
    status: Status
    fragments: int
    statement: str


@dataclass(frozen=True)
class Imbalance:
    lost_exons: list[int]
    kept_exons: list[int]
    reference_ratio: float
    max_fold: float
    status: Balance
    ratio: float | None
    fold: float | None
    statement: str


@dataclass(frozen=True)
class UnresolvedBreak:
    exon_3p: int
    breakpoint_3p: str
    reads: int


@dataclass(frozen=True)
class Sensitivity:
    informative_fragments_5p: float
    informative_fragments_3p: float
    sides_assessed: list[Literal["5p", "3p"]]
    min_support: int
    detectable_fraction: float | None
    required_fraction: float
    tumour_content: float | None
    statement: str


@dataclass(frozen=True)
class QC:
    reads_in_windows: dict[str, int]
    junction_exon_coverage: dict[str, float]
    exon_coverage: dict[str, list[int]]
    duplicate_rate: float
    read_length: int
    paired: bool
    unmatched_soft_clips: int
    unmatched_junction_clips: int
    unchecked_unmapped_reads: int
    molecule_identity: str


@dataclass(frozen=True)
class Checksum:
    algorithm: Literal["sha256", "sha256-fingerprint"]
    value: str


@dataclass(frozen=True)
class InputInfo:
    path: str
    format: Literal["BAM", "CRAM"]
    checksum: Checksum
    size_bytes: int
    reference: str | None
    bytes_read: int | None = None  # remote inputs: bytes the servers sent


@dataclass(frozen=True)
class Tool:
    name: str
    version: str


@dataclass(frozen=True)
class Run:
    started: str
    finished: str
    host: str


@dataclass(frozen=True)
class ScanResult:
    schema_version: str
    sample: str
    target: str
    assay: Assay
    design: Design
    call: Call
    confidence: Confidence | None
    call_reason: str
    build: str
    contig_style: Literal["chr", "plain"]
    tool: Tool
    input: InputInfo
    command: str
    run: Run
    thresholds: dict[str, Any]
    fusions: list[FusionRecord]
    filters: dict[str, int]
    filters_disabled: list[str]
    warnings: list[str]
    reciprocal: Reciprocal
    tfe3_imbalance: Imbalance
    unresolved_tfe3_breaks: list[UnresolvedBreak]
    sensitivity: Sensitivity
    qc: QC


# --- in and out -------------------------------------------------------------------------------


def to_dict(obj: Any) -> Any:
    """Plain JSON types, fields in declaration order."""
    if is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, list | tuple):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    return obj


def to_json(result: ScanResult) -> str:
    return json.dumps(to_dict(result), indent=2) + "\n"


@cache
def schema() -> dict[str, Any]:
    text = (resources.files("fusioncheck") / "schemas" / "fusioncheck.schema.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def validate(document: dict[str, Any], where: str) -> None:
    """:class:`InputError` naming the first schema violation of ``document``."""
    # Imported here: only reading a document validates it, and jsonschema's import is a fifth
    # of a scan's start-up, which on a whole-transcriptome BAM is most of the scan.
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            f"{where}: not a fusioncheck result ({at}: {error.message}); re-run "
            "`fusioncheck scan` with this version"
        )


def read_document(path: str | Path) -> dict[str, Any]:
    """The validated JSON of one result file, as plain types."""
    path = Path(path)
    try:
        document = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a fusioncheck result (not a JSON object)")
    validate(document, str(path))
    return document


def reported_target(result: dict[str, Any]) -> dict[str, Any] | None:
    """The target record a DETECTED call rests on: the first passing one (records come
    target first, passed first), else None."""
    for fusion in result.get("fusions", []):
        if fusion.get("kind") == "target" and fusion.get("passed"):
            record: dict[str, Any] = fusion  # the record itself: callers compare identity
            return record
    return None


def load_result(path: str | Path) -> ScanResult:
    """Read, validate and type one ``<sample>.fusioncheck.json``."""
    return from_dict(ScanResult, read_document(path))


T = TypeVar("T")


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build dataclass ``cls`` from plain (already validated) JSON types."""
    hints = typing.get_type_hints(cls)
    values = {f.name: _typed(hints[f.name], data[f.name]) for f in fields(cls) if f.name in data}  # type: ignore[arg-type]
    return cls(**values)


def _typed(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return None if value is None else _typed(options[0], value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_typed(item, v) for v in value]
    if isinstance(hint, type) and is_dataclass(hint):
        return from_dict(hint, value)
    return value
