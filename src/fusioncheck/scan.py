"""``scan``: one BAM/CRAM in, one result document out.

open & check -> fetch the target windows -> evidence + QC -> orient & cluster -> call.
The result is a plain dict matching ``schemas/fusioncheck.schema.json``; writing it is
:mod:`fusioncheck.output`'s job.
"""

from __future__ import annotations

import socket
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pysam

from fusioncheck import __version__
from fusioncheck.bamio import AlignmentInput, inspect_alignment
from fusioncheck.calling import (
    TYPE_LABELS,
    Cluster,
    annotate,
    cluster,
    confidence,
    detectable_fraction,
    filter_counts,
    kind,
    orient,
    passes,
)
from fusioncheck.config import Thresholds, as_dict
from fusioncheck.errors import InputError, UsageError
from fusioncheck.evidence import FILTERS, EvidenceCollector
from fusioncheck.genes import (
    FIVE_PRIME_TARGET,
    JUNCTION_EXONS,
    JUNCTION_INTRONS,
    TFE3_KEPT_EXONS,
    TFE3_LOST_EXONS,
    THREE_PRIME_TARGET,
    GeneModels,
    load,
)
from fusioncheck.output import SAMPLE_ID
from fusioncheck.sequence import PartnerIndex, fusion_protein, slide_to_five_prime

SCHEMA_VERSION = "1.0"
_KIND_ORDER = {"target": 0, "reciprocal": 1, "other_partner": 2}


# --- QC while reading -------------------------------------------------------------------------


class _Coverage:
    """Counts taken on the same pass as the evidence: reads per window, duplicates, fragments
    per exon and over the regions where an ASPS junction would be seen."""

    def __init__(self, models: GeneModels, t: Thresholds) -> None:
        self.models = models
        self.t = t
        self.reads: Counter[str] = Counter()
        self.duplicates = 0
        self.spliced = 0
        self.paired = False
        self.lengths: Counter[int] = Counter()
        self.secondary = 0
        self.qc_fail = 0
        self._exon_fragments: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._junction_fragments: dict[tuple[str, int], set[str]] = defaultdict(set)
        self._intron_bases: Counter[tuple[str, int]] = Counter()
        self._introns = {
            gene: [(n, *models[gene].intron(n)) for n in introns]
            for gene, introns in JUNCTION_INTRONS.items()
        }
        self._exon_bases: Counter[tuple[str, int]] = Counter()

    def add(self, gene: str, read: pysam.AlignedSegment) -> None:
        if read.is_unmapped:
            return
        if read.is_secondary:
            self.secondary += 1
            return
        if read.is_qcfail:
            self.qc_fail += 1
            return
        if read.is_supplementary:
            return
        self.reads[gene] += 1
        self.lengths[read.infer_read_length() or 0] += 1
        if read.is_duplicate:
            self.duplicates += 1
            return
        if read.mapping_quality < self.t.min_mapq:
            return
        cigar = read.cigartuples or []
        if any(op == 3 for op, _ in cigar):
            self.spliced += 1
        if read.is_paired:
            self.paired = True
        tx = self.models[gene]
        name = str(read.query_name)
        first, last = read.reference_start + 1, read.reference_end or read.reference_start
        # Most DNA reads are intronic: compare spans first, read the blocks only when needed.
        exons = [e for e in tx.exons if e.start <= last and e.end >= first]
        blocks = read.get_blocks() if exons else []
        junction_exons = JUNCTION_EXONS.get(gene, ())
        w = self.t.junction_window
        for exon in exons:
            if not _overlaps(blocks, exon.start, exon.end):
                continue
            self._exon_fragments[(gene, exon.number)].add(name)
            self._exon_bases[(gene, exon.number)] += sum(
                max(0, min(b_end, exon.end) - max(b_start + 1, exon.start) + 1)
                for b_start, b_end in blocks
            )
            if exon.number in junction_exons:
                # The junction side of the exon: its end for a 5' partner, start for a 3'.
                edge = (
                    tx.donor(exon.number) if gene == FIVE_PRIME_TARGET else tx.acceptor(exon.number)
                )
                if (
                    _overlaps(blocks, edge - w + 1, edge)
                    if edge == exon.end
                    else _overlaps(blocks, edge, edge + w - 1)
                ):
                    self._junction_fragments[(gene, exon.number)].add(name)
        # Fragment bases over the introns where DNA breaks fall: each fragment once, from its
        # leftmost mate, over its whole span (the insert counts: a break there is seen too).
        if read.is_paired and not (read.is_proper_pair and read.template_length > 0):
            return
        if read.is_paired:
            last = read.reference_start + read.template_length
        for n, lo, hi in self._introns[gene]:
            self._intron_bases[(gene, n)] += max(0, min(hi, last) - max(lo, first) + 1)

    @property
    def read_length(self) -> int:
        return self.lengths.most_common(1)[0][0] if self.lengths else 0

    def exon_depth(self, gene: str, exons: tuple[int, ...]) -> float:
        """Mean read depth over the given exons of ``gene`` (aligned bases / exon bases)."""
        tx = self.models[gene]
        bases = sum(self._exon_bases[(gene, n)] for n in exons)
        return bases / sum(tx.exon(n).length for n in exons)

    def exon_coverage(self) -> dict[str, list[int]]:
        return {
            gene: [len(self._exon_fragments[(gene, e.number)]) for e in self.models[gene].exons]
            for gene in (FIVE_PRIME_TARGET, THREE_PRIME_TARGET)
        }

    def junction_exon_coverage(self) -> dict[str, float]:
        return {
            f"{gene} exon {n}": float(len(self._junction_fragments[(gene, n)]))
            for gene, exons in JUNCTION_EXONS.items()
            for n in exons
        }

    def informative(self, rna: bool) -> tuple[float, float]:
        """Fragments that would show a fusion at the ASPS junction, 5' side and 3' side.

        RNA: fragments touching the junction end of ASPSCR1 exon 7, and the least covered of
        TFE3 exons 4-6.  DNA: mean fragment depth (inserts included) over ASPSCR1 intron 7 and
        the least covered of TFE3 introns 3-5.
        """
        if rna:
            five = min(
                len(self._junction_fragments[(FIVE_PRIME_TARGET, n)])
                for n in JUNCTION_EXONS[FIVE_PRIME_TARGET]
            )
            three = min(
                len(self._junction_fragments[(THREE_PRIME_TARGET, n)])
                for n in JUNCTION_EXONS[THREE_PRIME_TARGET]
            )
            return float(five), float(three)

        def depth(gene: str, n: int) -> float:
            lo, hi = self.models[gene].intron(n)
            return self._intron_bases[(gene, n)] / (hi - lo + 1)

        five_depth = min(depth(FIVE_PRIME_TARGET, n) for n in JUNCTION_INTRONS[FIVE_PRIME_TARGET])
        three_depth = min(
            depth(THREE_PRIME_TARGET, n) for n in JUNCTION_INTRONS[THREE_PRIME_TARGET]
        )
        return round(five_depth, 1), round(three_depth, 1)


def _overlaps(blocks: list[tuple[int, int]], start: int, end: int) -> bool:
    """Do 0-based half-open ``blocks`` overlap the 1-based closed ``start..end``?"""
    return any(b_start < end and b_end >= start for b_start, b_end in blocks)


# --- the scan ---------------------------------------------------------------------------------


def scan(
    bam: str | Path,
    sample: str,
    reference: str | Path | None = None,
    build: str = "auto",
    assay: str = "auto",
    thresholds: Thresholds | None = None,
    threads: int = 1,
    command: str = "",
    full_checksum: bool = False,
    unmapped_tail: bool = False,
) -> dict:
    """Scan one alignment file and return the result document.  ``unmapped_tail`` also reads
    the pairs the aligner left wholly unmapped (needs ``reference``; its cost grows with the
    number of unmapped reads, which is why it is off by default)."""
    if not SAMPLE_ID.match(sample):
        raise UsageError(
            f"sample ID {sample!r} may only contain letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (it becomes a file name)"
        )
    if unmapped_tail and reference is None:
        raise UsageError("reading the unmapped tail needs the genome FASTA: pass --reference")
    t = thresholds or Thresholds()
    started = datetime.now(timezone.utc)
    inp = inspect_alignment(bam, reference, build)
    models = load(inp.build)
    index = None
    if inp.reference is not None:
        index = PartnerIndex(inp.reference, models, inp.style, t.flank, t.max_clip_mismatch_rate)
    collector = EvidenceCollector(inp.style, t, index)
    coverage = _Coverage(models, t)
    _read_windows(inp, models, t, threads, collector, coverage, unmapped_tail)

    is_rna = assay == "rna" or (
        assay == "auto" and coverage.spliced >= max(1, 0.01 * sum(coverage.reads.values()))
    )
    junctions = [j for o in collector.finish() if (j := orient(o, models, t)) is not None]
    clusters = cluster(junctions, models, t, is_rna)
    removed = filter_counts(junctions)
    fusions = _records(clusters, removed, models, t, is_rna, inp)

    totals: Counter[str] = Counter({name: 0 for name in FILTERS})
    for counts in removed.values():
        totals.update(counts)
    totals["secondary"] = coverage.secondary
    totals["qc_fail"] = coverage.qc_fail

    five_n, three_n = coverage.informative(is_rna)
    fraction = detectable_fraction(min(five_n, three_n), t.min_support)
    imbalance = _tfe3_imbalance(coverage, t, is_rna)
    call, conf, reason = _call(fusions, fraction, t, coverage, collector, index, is_rna, imbalance)
    result = {
        "schema_version": SCHEMA_VERSION,
        "sample": sample,
        "assay": "rna" if is_rna else "dna",
        "call": call,
        "confidence": conf,
        "call_reason": reason,
        "build": inp.build,
        "contig_style": inp.style.style,
        "tool": {"name": "fusioncheck", "version": __version__},
        "input": {
            "path": str(inp.path),
            "format": inp.format,
            "checksum": inp.fingerprint(full_checksum),
            "size_bytes": inp.size_bytes(),
            "reference": str(inp.reference) if inp.reference else None,
        },
        "command": command,
        "run": {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        },
        "thresholds": as_dict(t),
        "fusions": fusions,
        "filters": dict(sorted(totals.items())),
        "reciprocal": _reciprocal(fusions, call),
        "tfe3_imbalance": imbalance,
        "unresolved_tfe3_breaks": _unresolved_tfe3_breaks(collector, models, inp, t),
        "sensitivity": {
            "informative_fragments_5p": five_n,
            "informative_fragments_3p": three_n,
            "min_support": t.min_support,
            "detectable_fraction": None if fraction is None else round(fraction, 4),
            "statement": _sensitivity_statement(fraction, is_rna, t),
        },
        "qc": {
            "reads_in_windows": dict(coverage.reads),
            "junction_exon_coverage": coverage.junction_exon_coverage(),
            "exon_coverage": coverage.exon_coverage(),
            "duplicate_rate": round(coverage.duplicates / max(1, sum(coverage.reads.values())), 4),
            "read_length": coverage.read_length,
            "paired": coverage.paired,
            "unmatched_soft_clips": sum(collector.unmatched_clips.values()),
            "unchecked_unmapped_reads": collector.unchecked_unmapped,
        },
    }
    return result


def _read_windows(
    inp: AlignmentInput,
    models: GeneModels,
    t: Thresholds,
    threads: int,
    collector: EvidenceCollector,
    coverage: _Coverage,
    unmapped_tail: bool,
) -> None:
    try:
        with inp.open(threads) as bam:
            if unmapped_tail:
                # Pairs with no mapped mate sit after all mapped reads ("*" in htslib).
                for read in bam.fetch("*"):
                    collector.add(read)
            for window in models.target_windows(t.flank):
                last = -1
                for read in bam.fetch(inp.style.to_bam(window.chrom), window.start - 1, window.end):
                    if read.reference_start < last:
                        raise InputError(
                            f"{inp.path}: reads are out of order at {read.reference_name}:"
                            f"{read.reference_start + 1}; the index does not match the file. "
                            f"Re-sort and re-index it (`samtools sort` then `samtools index`)."
                        )
                    last = read.reference_start
                    coverage.add(window.gene, read)
                    collector.add(read)
    except OSError as exc:
        raise InputError(
            f"{inp.path}: reading failed ({exc}). The file is truncated or corrupt: check it "
            f"with `samtools quickcheck -v {inp.path}` and re-create it."
        ) from exc


def _records(
    clusters: list[Cluster],
    removed: dict[tuple[str, str], Counter[str]],
    models: GeneModels,
    t: Thresholds,
    rna: bool,
    inp: AlignmentInput,
) -> list[dict]:
    """Fusion records: every cluster that passes, plus the best sub-threshold ASPSCR1::TFE3
    cluster so the lab sees what little evidence there was."""
    shown: list[Cluster] = []
    for c in clusters:
        if passes(c, t) or (
            kind(c.partners) == "target" and not any(kind(s.partners) == "target" for s in shown)
        ):
            shown.append(c)
    fasta = pysam.FastaFile(str(inp.reference)) if inp.reference else None
    records: list[dict] = []
    try:
        for c in shown:
            if fasta and c.exact and not rna:
                c.five, c.three = slide_to_five_prime(fasta, inp.style, c.five, c.three)
            ann = annotate(c.five, c.three, models, rna)
            tx5 = models.gene_at(c.five.chrom, c.five.pos)
            tx3 = models.gene_at(c.three.chrom, c.three.pos)
            protein = None
            if fasta and tx5 and tx3 and ann.exon_5p and ann.exon_3p and c.exact:
                protein = fusion_protein(fasta, inp.style, tx5, ann.exon_5p, tx3, ann.exon_3p)
            label = None
            if kind(c.partners) == "target" and ann.exon_5p and ann.exon_3p:
                label = TYPE_LABELS.get((ann.exon_5p, ann.exon_3p))
            records.append(
                {
                    "five_prime_gene": tx5.gene if tx5 else _locus(c.five, inp),
                    "three_prime_gene": tx3.gene if tx3 else _locus(c.three, inp),
                    "kind": kind(c.partners),
                    "breakpoint_5p": _locus(c.five, inp),
                    "breakpoint_3p": _locus(c.three, inp),
                    "side_5p": c.five.keeps,
                    "side_3p": c.three.keeps,
                    "breakpoint_precision": "exact" if c.exact else "imprecise",
                    "exon_5p": ann.exon_5p,
                    "exon_3p": ann.exon_3p,
                    "intron_5p": ann.intron_5p,
                    "intron_3p": ann.intron_3p,
                    "transcript_5p": tx5.label if tx5 else None,
                    "transcript_3p": tx3.label if tx3 else None,
                    "split_reads": len(c.split_fragments),
                    "spanning_pairs": len(c.spanning_fragments),
                    "supporting_fragments": c.support,
                    "reading_frame": ann.reading_frame,
                    "confidence": confidence(c, ann, t),
                    "type_label": label,
                    "fusion_protein": protein,
                    "filters": dict(sorted(removed.get(c.partners, Counter()).items())),
                    "passed": passes(c, t),
                }
            )
    finally:
        if fasta:
            fasta.close()
    records.sort(
        key=lambda r: (_KIND_ORDER[r["kind"]], not r["passed"], -r["supporting_fragments"])
    )
    return records


def _locus(b, inp: AlignmentInput) -> str:
    return f"{inp.style.to_bam(b.chrom)}:{b.pos}"


def _call(
    fusions: list[dict],
    fraction: float | None,
    t: Thresholds,
    coverage: _Coverage,
    collector: EvidenceCollector,
    index: PartnerIndex | None,
    rna: bool,
    imbalance: dict,
) -> tuple[str, str | None, str]:
    targets = [f for f in fusions if f["kind"] == "target"]
    passed = [f for f in targets if f["passed"]]
    if passed:
        top = passed[0]
        return (
            "DETECTED",
            top["confidence"],
            f"{top['supporting_fragments']} supporting fragments ({top['split_reads']} split "
            f"reads, {top['spanning_pairs']} spanning pairs) join {top['breakpoint_5p']} to "
            f"{top['breakpoint_3p']}",
        )
    if not sum(coverage.reads.values()):
        return "INDETERMINATE", None, "no reads in the ASPSCR1 and TFE3 windows"
    best: dict | None = targets[0] if targets else None
    # Sub-threshold evidence blocks a negative when it includes a junction read or as many
    # spanning pairs as a call needs; an isolated discordant pair is background chimera noise
    # (it is still listed in ``fusions``).
    if best and (best["split_reads"] or best["spanning_pairs"] >= t.min_support):
        why = (
            f"only {best['split_reads']} split reads"
            if best["supporting_fragments"] >= t.min_support
            else f"{best['supporting_fragments']} fragments ({t.min_support} needed)"
        )
        return (
            "INDETERMINATE",
            None,
            f"ASPSCR1::TFE3 evidence below the detection threshold: {why}",
        )
    if imbalance["status"] == "imbalanced":
        return (
            "INDETERMINATE",
            None,
            "TFE3 rearrangement suspected: TFE3 3' exons are over-represented against its 5' "
            "exons, but no junction read shows the partner; confirm by FISH or another assay",
        )
    clips, unmapped = sum(collector.unmatched_clips.values()), collector.unchecked_unmapped
    if index is None and clips + unmapped:
        return (
            "INDETERMINATE",
            None,
            f"{clips} soft-clipped and {unmapped} unmapped reads at the loci could not be "
            "checked for a fusion junction without the genome FASTA: rerun with --reference",
        )
    if fraction is None or fraction > t.negative_max_fraction:
        what = "transcripts" if rna else "alleles"
        if fraction is None:
            shown = "no informative fragments"
        elif fraction > 1:
            shown = f"not even a fusion in all {what} would reliably give {t.min_support} reads"
        else:
            shown = f"a fusion would need to be in at least {fraction:.0%} of {what} to be seen"
        return (
            "INDETERMINATE",
            None,
            f"coverage at the junction is too low to exclude the fusion ({shown}; "
            f"NOT_DETECTED needs {t.negative_max_fraction:.0%} or less)",
        )
    reason = "no ASPSCR1::TFE3 junction read, with coverage enough to have seen one"
    if best:
        reason += (
            f"; {best['spanning_pairs']} isolated discordant pair(s) listed, consistent with "
            "background chimeras"
        )
    return "NOT_DETECTED", None, reason


def _tfe3_imbalance(coverage: _Coverage, t: Thresholds, rna: bool) -> dict:
    """3'/5' coverage of TFE3: every TFE3 fusion joined at exons 4-6 keeps exons 7-9 and loses
    exons 2-3, so a fusion expressed without junction reads still tips the ratio."""
    counts = coverage.exon_coverage()[THREE_PRIME_TARGET]
    lost_n = sum(counts[e - 1] for e in TFE3_LOST_EXONS)
    kept_n = sum(counts[e - 1] for e in TFE3_KEPT_EXONS)
    block = {
        "lost_exons": list(TFE3_LOST_EXONS),
        "kept_exons": list(TFE3_KEPT_EXONS),
        "reference_ratio": t.imbalance_reference_ratio,
        "max_fold": t.imbalance_max_fold,
    }
    if not rna or lost_n + kept_n < t.imbalance_min_fragments:
        why = "DNA assay" if not rna else f"only {lost_n + kept_n} fragments on TFE3 exons"
        return {
            **block,
            "status": "not_assessed",
            "ratio": None,
            "fold": None,
            "statement": f"TFE3 exon balance not assessed ({why}).",
        }
    lost = coverage.exon_depth(THREE_PRIME_TARGET, TFE3_LOST_EXONS)
    kept = coverage.exon_depth(THREE_PRIME_TARGET, TFE3_KEPT_EXONS)
    ratio = kept / max(lost, 0.5)  # half a read of depth: no division by an empty block
    fold = ratio / t.imbalance_reference_ratio
    imbalanced = fold > t.imbalance_max_fold
    statement = (
        f"TFE3 exons {TFE3_KEPT_EXONS[0]}-{TFE3_KEPT_EXONS[-1]} are covered {fold:.1f}-fold "
        f"over exons {TFE3_LOST_EXONS[0]}-{TFE3_LOST_EXONS[-1]} relative to the reference"
    )
    statement += (
        ": TFE3 rearrangement suspected (3' exons retained by a fusion are over-expressed)."
        if imbalanced
        else ": within the expected range."
    )
    return {
        **block,
        "status": "imbalanced" if imbalanced else "balanced",
        "ratio": round(ratio, 3),
        "fold": round(fold, 3),
        "statement": statement,
    }


def _unresolved_tfe3_breaks(
    collector: EvidenceCollector, models: GeneModels, inp: AlignmentInput, t: Thresholds
) -> list[dict]:
    """TFE3 exon starts where reads are soft-clipped with sequence of no known partner: a
    TFE3 break to a partner the resources do not hold (or not checked without a FASTA)."""
    tfe3 = models.three_prime
    acceptors = {tfe3.acceptor(e.number): e.number for e in tfe3.exons[1:]}
    out = []
    for anchor, n in sorted(collector.unmatched_clips.items()):
        exon = acceptors.get(anchor.pos)
        # TFE3 is on minus: a fragment keeping exon n onwards keeps the bases below it.
        if anchor.chrom == tfe3.chrom and exon is not None and anchor.keeps == "below":
            if n >= t.min_support:
                out.append({"exon_3p": exon, "breakpoint_3p": _locus(anchor, inp), "reads": n})
    return out


def _sensitivity_statement(fraction: float | None, rna: bool, t: Thresholds) -> str:
    if fraction is None:
        return "No fragments covered the junction regions: no sensitivity can be stated."
    what = "of ASPSCR1/TFE3 transcripts at the junction" if rna else "allele fraction"
    return (
        f"At this coverage, a fusion present at {fraction:.1%} {what} or more would give at "
        f"least {t.min_support} supporting fragments with 95% probability."
    )


def _reciprocal(fusions: list[dict], call: str) -> dict:
    found = [f for f in fusions if f["kind"] == "reciprocal" and f["passed"]]
    if found:
        n = sum(f["supporting_fragments"] for f in found)
        return {
            "status": "present",
            "fragments": n,
            "statement": f"Reciprocal TFE3::ASPSCR1 found ({n} fragments): this points to a "
            "balanced t(X;17), as in TFE3-rearranged renal cell carcinoma, rather than the "
            "unbalanced der(17) typical of alveolar soft part sarcoma.",
        }
    statement = "No reciprocal TFE3::ASPSCR1 evidence."
    if call == "DETECTED":
        statement += (
            " This fits the unbalanced der(17)t(X;17)(p11;q25) of alveolar soft part sarcoma; "
            "absence of the reciprocal alone is not diagnostic."
        )
    return {"status": "absent", "fragments": 0, "statement": statement}
