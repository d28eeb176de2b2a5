"""``scan``: one BAM/CRAM in, one result out.  The whole pipeline, top to bottom:

open & check (:mod:`bamio`) -> read the windows (:mod:`reads`, feeding :mod:`coverage` and
:mod:`evidence`) -> orient (:mod:`clustering`) -> filters (:mod:`filters`) -> cluster ->
annotate (:mod:`annotation`) -> assess coverage (:mod:`assess`) -> decide (:mod:`decision`)
-> the typed result (:mod:`model`).  Writing it is :mod:`output`'s job.
"""

from __future__ import annotations

import logging
import socket
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pysam

from fusioncheck import __version__, assess, design, filters
from fusioncheck.annotation import Context, annotated, shown_clusters
from fusioncheck.bamio import AlignmentInput, inspect_alignment
from fusioncheck.clustering import Cluster, cluster, filter_counts, orient, removed_fragments
from fusioncheck.config import Thresholds, as_dict
from fusioncheck.coverage import Coverage
from fusioncheck.decision import Facts, decide
from fusioncheck.errors import InputError, UsageError
from fusioncheck.evidence import EvidenceCollector
from fusioncheck.filters import read_flag_mask
from fusioncheck.genes import GeneModels
from fusioncheck.model import (
    QC,
    SCHEMA_VERSION,
    Checksum,
    FusionRecord,
    InputInfo,
    Junction,
    Observation,
    Run,
    ScanResult,
    Tool,
    to_dict,
)
from fusioncheck.molecules import UMI_MODES, MoleculeKeys, UmiMode
from fusioncheck.output import check_sample_id
from fusioncheck.reads import read_windows
from fusioncheck.review.evidence_bam import Support
from fusioncheck.sequence import partner_index
from fusioncheck.target import DEFAULT_TARGET, Target, load_target

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Options:
    """How to scan, beyond the file itself."""

    reference: Path | None = None
    build: str = "auto"
    assay: str = "auto"  # a design (wts, amp, rna_capture, dna_capture), rna, dna or auto
    thresholds: Thresholds = field(default_factory=Thresholds)
    threads: int = 1
    command: str = ""
    full_checksum: bool = False
    unmapped_tail: bool = False
    targets: Path | None = None  # BED of baits or primers
    tumour_content: float | None = None
    umi: UmiMode = "auto"
    umi_separator: str = "_"
    target: str = DEFAULT_TARGET


def scan(bam: str | Path, sample: str, **options: object) -> dict:  # type: ignore[type-arg]
    """Scan one alignment file; the result document as plain JSON types.  Keyword options are
    the fields of :class:`Options`."""
    result: dict = to_dict(scan_result(bam, sample, make_options(**options)))  # type: ignore[type-arg]
    return result


def make_options(**options: object) -> Options:
    """:class:`Options` from keyword values as a command line gives them (None: the
    default; paths as strings)."""
    reference = options.pop("reference", None)
    targets = options.pop("targets", None)
    return Options(
        reference=Path(str(reference)) if reference else None,
        targets=Path(str(targets)) if targets else None,
        **{k: v for k, v in options.items() if v is not None or k == "tumour_content"},  # type: ignore[arg-type]
    )


@dataclass
class _Scan:
    """What the stages hand on: the checked input, the target, and what reading counted."""

    inp: AlignmentInput
    target: Target
    models: GeneModels
    coverage: Coverage
    collector: EvidenceCollector
    keys: MoleculeKeys
    removed_reads: Counter[str]
    baits: list[design.Interval] | None


def scan_result(bam: str | Path, sample: str, o: Options) -> ScanResult:
    """The pipeline."""
    return scan_with_support(bam, sample, o)[0]


def scan_with_support(bam: str | Path, sample: str, o: Options) -> tuple[ScanResult, Support]:
    """The pipeline; and which reads support each record, for the evidence BAM."""
    _check_options(sample, o)
    t = o.thresholds
    started = datetime.now(timezone.utc)
    s = _read(bam, o)
    observations = s.collector.finish()
    spliced = _spliced(s, observations)
    rna = design.is_rna(o.assay, spliced)
    genes = (s.target.five_prime.gene, s.target.three_prime.gene)
    junctions = [j for obs in observations if (j := orient(obs, s.models, genes, t))]
    junctions = filters.apply(junctions, t)
    removed_by = removed_fragments(junctions)
    removed = filter_counts(removed_by)
    shown = _annotate(s, junctions, removed, rna)
    fusions = [f for f, _ in shown]
    informative = (
        s.coverage.informative(s.target.five_prime, rna),
        s.coverage.informative(s.target.three_prime, rna),
    )
    sides = design.covered_sides(o.assay, s.baits, s.target, s.inp.build, informative, rna, t)
    sens, fraction = assess.sensitivity(informative, sides, o.tumour_content, rna, t)
    imbalance = assess.imbalance(s.coverage, s.target, t, rna)
    facts = _facts(
        s, fusions, imbalance.status == "imbalanced", fraction, sens.required_fraction, rna
    )
    decision = decide(facts, t)
    log.info("call %s: %s", decision.call, decision.reason)
    assay, resolved = design.resolve(o.assay, spliced, sides)
    result = ScanResult(
        schema_version=SCHEMA_VERSION,
        sample=sample,
        target=s.target.name,
        assay=assay,
        design=resolved,
        call=decision.call,
        confidence=decision.confidence,
        call_reason=decision.reason,
        build=s.inp.build,
        contig_style=s.inp.style.style,  # type: ignore[arg-type]
        tool=Tool("fusioncheck", __version__),
        input=_input_info(s.inp, o),
        command=o.command,
        run=Run(_now(started), _now(datetime.now(timezone.utc)), socket.gethostname()),
        thresholds=as_dict(t),
        fusions=fusions,
        filters=_filter_totals(s, removed),
        filters_disabled=list(t.disabled_filters),
        warnings=_warnings(o, s, rna),
        reciprocal=assess.reciprocal(fusions, s.target, fraction, resolved),
        tfe3_imbalance=imbalance,
        unresolved_tfe3_breaks=assess.unresolved_breaks(
            s.collector.unmatched_clips, s.models, s.target, s.inp.style, t
        ),
        sensitivity=sens,
        qc=_qc(s, facts.unmatched_junction_clips),
    )
    return result, _support(s, shown, removed_by, o)


def _support(
    s: _Scan,
    shown: list[tuple[FusionRecord, Cluster]],
    removed_by: dict[tuple[tuple[str, str], str], str],
    o: Options,
) -> Support:
    """Which reads the scan used, for the evidence BAM's second pass."""
    t = o.thresholds
    windows = tuple(s.target.windows(s.models, t.flank))
    clusters = [c for _, c in shown]
    return Support(s.inp, clusters, removed_by, windows, read_flag_mask(t), o.unmapped_tail)


def _annotate(
    s: _Scan,
    junctions: list[Junction],
    removed: dict[tuple[str, str], Counter[str]],
    rna: bool,
) -> list[tuple[FusionRecord, Cluster]]:
    """Cluster the passing evidence and annotate the clusters shown (the reads are opened for
    the junction sequence when there is no FASTA)."""
    t = s.coverage.t
    opened = pysam.FastaFile(str(s.inp.reference)) if s.inp.reference else nullcontext()
    with opened as fasta, s.inp.open() as bam:
        ctx = Context(s.target, s.models, s.inp.style, t, rna, fasta, bam)
        clusters = shown_clusters(cluster(junctions, s.models, t, rna), s.target, t)
        return annotated(clusters, removed, ctx)


def _read(bam: str | Path, o: Options) -> _Scan:
    """Open and check the file, then read its target windows into coverage and evidence."""
    t = o.thresholds
    inp = inspect_alignment(bam, o.reference, o.build, o.target)
    target = load_target(o.target)
    models = target.models(inp.build)
    baits = design.read_baits(o.targets, target, inp.build, inp.style) if o.targets else None
    windows = tuple(target.windows(models, t.flank))
    index = partner_index(inp.reference, models, inp.style, windows, t) if inp.reference else None
    keys = MoleculeKeys(o.umi, o.umi_separator)
    coverage = Coverage(target, models, t, keys)
    collector = EvidenceCollector(inp.style, t, index, keys)
    removed = read_windows(inp, windows, t, o.threads, coverage, collector, o.unmapped_tail)
    _check_umis(keys, o, inp)
    return _Scan(inp, target, models, coverage, collector, keys, removed, baits)


def _spliced(s: _Scan, observations: list[Observation]) -> bool:
    """Does the library look like RNA?  Spliced (``N``) alignments, or, from a splice-unaware
    aligner such as BWA-MEM, as many split reads joining one gene's exons."""
    if s.coverage.is_rna():
        return True
    splits = design.spliced_splits(observations, s.models)
    return splits >= max(1, s.coverage.t.rna_spliced_fraction * s.coverage.total_reads)


def _now(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _filter_totals(s: _Scan, removed: dict[tuple[str, str], Counter[str]]) -> dict[str, int]:
    """Reads or fragments each filter removed over the whole scan (every filter listed)."""
    totals: Counter[str] = Counter({name: 0 for name in filters.FILTERS})
    totals.update(s.removed_reads)
    totals["malformed_tag"] += s.collector.malformed
    for counts in removed.values():
        totals.update(counts)
    return dict(sorted(totals.items()))


def _check_options(sample: str, o: Options) -> None:
    check_sample_id(sample)
    design.check_design(o.assay)
    filters.check_disabled(o.thresholds)
    if o.unmapped_tail and o.reference is None:
        raise UsageError("reading the unmapped tail needs the genome FASTA: pass --reference")
    if o.umi not in UMI_MODES:
        raise UsageError(f"umi {o.umi!r}: use one of {', '.join(UMI_MODES)}")
    if o.tumour_content is not None and not 0 < o.tumour_content <= 1:
        raise UsageError(
            f"tumour_content {o.tumour_content}: give the fraction of tumour cells, above 0 "
            "and at most 1 (e.g. 0.3 for 30 %)"
        )


def _check_umis(keys: MoleculeKeys, o: Options, inp: AlignmentInput) -> None:
    if o.umi in ("RX", "MI", "name") and keys.asked and not keys.with_umi:
        where = "read names" if o.umi == "name" else f"{o.umi} tags"
        raise InputError(
            f"{inp.path}: UMIs were requested from {where} (umi: {o.umi}) but none of the "
            f"{keys.asked} reads looked at carries one. Check the UMI settings (see "
            "docs/troubleshooting.md), or set umi: auto"
        )


def _facts(
    s: _Scan,
    fusions: list[FusionRecord],
    imbalanced: bool,
    fraction: float | None,
    required: float,
    rna: bool,
) -> Facts:
    t = s.coverage.t
    targets = [f for f in fusions if f.kind == "target"]
    passed = [f for f in targets if f.passed]
    failing = [f for f in targets if not f.passed]
    could_be = [f for f in failing if _could_be_target(f, s.target, rna, t)]
    has_fasta = s.inp.reference is not None
    unmatched = assess.unmatched_at_junctions(s.collector.unmatched_clips, s.models, s.target)
    return Facts(
        fusion=s.target.name,
        genes=(s.target.five_prime.gene, s.target.three_prime.gene),
        detected=passed[0] if passed else None,
        blocking=could_be[0] if could_be else None,
        listed=failing[0] if failing and not could_be else None,
        reads_in_windows=s.coverage.total_reads,
        imbalanced=imbalanced,
        unchecked_clips=sum(s.collector.unmatched_clips.values()),
        unchecked_unmapped=s.collector.unchecked_unmapped,
        has_fasta=has_fasta,
        unmatched_junction_clips=unmatched if has_fasta else 0,
        detectable_fraction=fraction,
        required_fraction=required,
        rna=rna,
    )


def _could_be_target(f: FusionRecord, target: Target, rna: bool, t: Thresholds) -> bool:
    """Sub-threshold evidence that could be the fusion: enough spanning pairs to need a look,
    or a read across a junction the fusion uses (RNA: exon boundaries; DNA: a break in the
    junction introns).  Anything else is background chimera noise, listed not decisive."""
    if f.spanning_pairs >= t.min_support:
        return True
    if not f.split_reads:
        return False
    if rna:
        return f.canonical
    return f.intron_5p in target.five_prime.junction_introns and (
        f.intron_3p in target.three_prime.junction_introns
    )


def _warnings(o: Options, s: _Scan, rna: bool) -> list[str]:
    coverage, collector = s.coverage, s.collector
    out = []
    if not rna and coverage.is_rna():
        out.append(
            f"the design was given as DNA ({o.assay}) but {coverage.spliced} reads are spliced: "
            "is this an RNA library? The sensitivity stated is for DNA"
        )
    if collector.first_malformed:
        out.append(
            f"{collector.malformed} reads had a malformed tag, first: {collector.first_malformed}"
        )
    for w in out:
        log.warning(w)
    return out


def _input_info(inp: AlignmentInput, o: Options) -> InputInfo:
    checksum = inp.fingerprint(o.full_checksum)
    return InputInfo(
        path=str(inp.path),
        format=inp.format,  # type: ignore[arg-type]
        checksum=Checksum(checksum["algorithm"], checksum["value"]),  # type: ignore[arg-type]
        size_bytes=inp.size_bytes(),
        reference=str(inp.reference) if inp.reference else None,
    )


def _qc(s: _Scan, unmatched: int) -> QC:
    coverage, collector = s.coverage, s.collector
    return QC(
        reads_in_windows=dict(coverage.reads),
        junction_exon_coverage=coverage.junction_exon_coverage(),
        exon_coverage=coverage.exon_coverage(),
        duplicate_rate=round(coverage.duplicates / max(1, coverage.total_reads), 4),
        read_length=coverage.read_length,
        paired=coverage.paired,
        unmatched_soft_clips=sum(collector.unmatched_clips.values()),
        unmatched_junction_clips=unmatched,
        unchecked_unmapped_reads=collector.unchecked_unmapped,
        molecule_identity=s.keys.identity,
    )
