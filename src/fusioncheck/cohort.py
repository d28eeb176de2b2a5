"""Cohort summary: one row per sample from the per-sample JSON results.

Two files, both rendered from the JSONs (the source of truth), never from the TSVs:

``summary.tsv``          one row per sample: call, confidence, the reported ASPSCR1::TFE3
                         breakpoints and exons, supporting fragments, reciprocal evidence,
                         sensitivity and QC; a failed sample (call ERROR) with its error and fix.
``fusioncheck_mqc.tsv``  the same samples as MultiQC custom content (a table section): MultiQC
                         picks it up by its ``_mqc.tsv`` name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fusioncheck.errors import InputError
from fusioncheck.model import read_document, reported_target
from fusioncheck.output import atomic_write, tsv_table

#: Fields of the reported ASPSCR1::TFE3 record copied into the summary.
FUSION_FIELDS = (
    "breakpoint_5p",
    "breakpoint_3p",
    "exon_5p",
    "exon_3p",
    "intron_5p",
    "intron_3p",
    "transcript_5p",
    "transcript_3p",
    "reading_frame",
    "type_label",
    "split_reads",
    "spanning_pairs",
    "supporting_fragments",
)
#: Columns of summary.tsv, in order; each is defined in docs/output.md.
SUMMARY_COLUMNS = (
    "sample",
    "call",
    "confidence",
    "assay",
    "build",
    "fusion",
    *FUSION_FIELDS,
    "other_fusions",
    "reciprocal",
    "reciprocal_fragments",
    "tfe3_imbalance",
    "informative_fragments_5p",
    "informative_fragments_3p",
    "detectable_fraction",
    "reads_in_windows",
    "duplicate_rate",
    "read_length",
    "paired",
    "call_reason",
    "error_kind",
    "error",
    "fix",
)

#: Columns of the MultiQC table: (column, title, description).
MQC_COLUMNS = (
    ("call", "Call", "ASPSCR1::TFE3: DETECTED, NOT_DETECTED, INDETERMINATE; ERROR: not scanned"),
    ("confidence", "Confidence", "Confidence of a DETECTED call (high/medium/low)"),
    ("fusion", "Junction", "ASPSCR1 exon :: TFE3 exon of the reported fusion"),
    ("supporting_fragments", "Fragments", "Fragments supporting the reported fusion"),
    ("split_reads", "Split", "Fragments with a read across the junction"),
    ("spanning_pairs", "Spanning", "Fragments with one mate in each gene"),
    ("reciprocal", "Reciprocal", "TFE3::ASPSCR1 evidence: present, absent, not_assessed"),
    ("detectable_fraction", "Detectable fraction", "Smallest fusion fraction seen with 95%"),
    ("reads_in_windows", "Reads in windows", "Reads in the ASPSCR1 and TFE3 windows"),
    ("duplicate_rate", "Duplicate rate", "Fraction of reads in the windows marked duplicate"),
)


def summary_row(result: dict[str, Any]) -> dict[str, object]:
    """One summary row from one per-sample result document."""
    fusion = reported_target(result)
    qc = result.get("qc", {})
    sens = result.get("sensitivity", {})
    scanned = result["call"] != "ERROR"  # an error record has no counts: blank, not zero
    row: dict[str, object] = dict.fromkeys(SUMMARY_COLUMNS)
    row.update(
        sample=result["sample"],
        call=result["call"],
        confidence=result.get("confidence"),
        assay=result.get("assay"),
        build=result.get("build"),
        other_fusions=sum(
            1 for f in result.get("fusions", []) if f is not fusion and f.get("passed")
        )
        if scanned
        else None,
        reciprocal=result.get("reciprocal", {}).get("status"),
        reciprocal_fragments=result.get("reciprocal", {}).get("fragments"),
        tfe3_imbalance=result.get("tfe3_imbalance", {}).get("status"),
        informative_fragments_5p=sens.get("informative_fragments_5p"),
        informative_fragments_3p=sens.get("informative_fragments_3p"),
        detectable_fraction=sens.get("detectable_fraction"),
        reads_in_windows=sum(qc.get("reads_in_windows", {}).values()) if scanned else None,
        duplicate_rate=qc.get("duplicate_rate"),
        read_length=qc.get("read_length"),
        paired=qc.get("paired"),
        call_reason=result.get("call_reason"),
        # A sample whose scan failed (call ERROR): what went wrong and what to do.
        error_kind=result.get("error", {}).get("kind"),
        error=result.get("error", {}).get("message"),
        fix=result.get("error", {}).get("fix"),
    )
    if fusion is not None:
        for key in FUSION_FIELDS:
            row[key] = fusion.get(key)
        row["fusion"] = (
            f"{fusion['five_prime_gene']} ex{fusion.get('exon_5p')}::"
            f"{fusion['three_prime_gene']} ex{fusion.get('exon_3p')}"
        )
    return row


def load_results(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read and validate the per-sample JSONs (results and error records), sorted by sample;
    :class:`InputError` names a bad file."""
    results = [read_document(path) for path in paths]
    refuse_repeated_samples(r["sample"] for r in results)
    return sorted(results, key=lambda r: r["sample"])


def refuse_repeated_samples(samples: Iterable[str]) -> None:
    """One result per sample: a sample given twice (the same file twice, or two runs of it)
    would be counted twice in a cohort, or its report overwritten by the other."""
    counts = Counter(samples)
    repeated = sorted(s for s, n in counts.items() if n > 1)
    if repeated:
        raise InputError(
            f"sample(s) {', '.join(repeated)} given more than once: pass one result per sample"
        )


def summary_tsv(rows: list[dict[str, object]]) -> str:
    return tsv_table(SUMMARY_COLUMNS, rows)


def multiqc_tsv(rows: list[dict[str, object]]) -> str:
    """MultiQC custom content: YAML config in ``#`` lines, then a TSV table."""
    config = [
        "id: 'fusioncheck'",
        "section_name: 'fusioncheck: ASPSCR1::TFE3'",
        "description: 'ASPSCR1::TFE3 fusion calls (alveolar soft part sarcoma) per sample; "
        "the per-sample report is the record to sign out from.'",
        "plot_type: 'table'",
        "pconfig:",
        "    id: 'fusioncheck_table'",
        "    namespace: 'fusioncheck'",
        "headers:",
    ]
    for column, title, description in MQC_COLUMNS:
        config += [
            f"    {column}:",
            f"        title: '{title}'",
            f"        description: '{description}'",
        ]
    table = tsv_table(["sample", *(c for c, _, _ in MQC_COLUMNS)], rows)
    return "".join(f"# {line}\n" for line in config) + table.replace("sample", "Sample", 1)


def write_cohort(
    json_paths: Iterable[str | Path],
    summary: str | Path,
    multiqc: str | Path,
) -> list[dict[str, object]]:
    """Write the summary TSV and the MultiQC file (both or neither); return the rows."""
    rows = [summary_row(r) for r in load_results(json_paths)]
    if not rows:
        raise InputError("no per-sample results given")
    atomic_write({Path(multiqc): multiqc_tsv(rows), Path(summary): summary_tsv(rows)})
    return rows
