"""Render a ``<sample>.fusioncheck.json`` result: HTML report, PDF, VCF; and a cohort page.

The JSON is the source of truth; only the read figure reads a BAM, the sample's evidence BAM
(its reads, never its counts: see docs/report.md).  Public API::

    result = load_result("S1.fusioncheck.json")
    paths = write_sample_report(result, "reports/", pdf=True)
    write_cohort_report(["S1.fusioncheck.json", ...], "cohort.html", report_dir="reports/")
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fusioncheck import genes
from fusioncheck.errors import InputError
from fusioncheck.model import read_document
from fusioncheck.output import atomic_output, atomic_write
from fusioncheck.report import html, pdf, vcf
from fusioncheck.report.lab import Lab
from fusioncheck.review.drawing import junction_molecules


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    vcf: Path
    pdf: Path | None


def load_result(path: str | Path) -> dict[str, Any]:
    """Read and validate one result document (InputError saying what is wrong)."""
    return read_document(path)


def output_paths(result: dict[str, Any], outdir: str | Path) -> ReportPaths:
    stem = html.file_stem(result["sample"])
    outdir = Path(outdir)
    return ReportPaths(
        outdir / f"{stem}.report.html", outdir / f"{stem}.vcf", outdir / f"{stem}.report.pdf"
    )


def _write_vcf_atomic(
    result: dict[str, Any], models: genes.GeneModels, path: Path, reference: str | Path | None
) -> None:
    with atomic_output(path) as tmp:
        vcf.write_vcf(result, models, str(tmp), reference)


def write_sample_report(
    result: dict[str, Any],
    outdir: str | Path,
    make_pdf: bool = True,
    chromium: str | None = None,
    source: str | None = None,
    lab: Lab | None = None,
    reference: str | Path | None = None,
    evidence_bam: Path | None = None,
) -> ReportPaths:
    """Write ``<sample>.report.html``, ``<sample>.vcf`` and (``make_pdf``) ``.report.pdf``.

    HTML and VCF are written first; a missing or failing PDF engine then raises
    :class:`pdf.PdfEngineError`, so the caller can tell the user while the others stay.
    ``reference`` (the genome FASTA) gives the VCF its REF bases.  An error record (a sample
    whose scan failed) has no report: :class:`InputError` with its message and fix.
    """
    if result["call"] == "ERROR":
        error = result["error"]
        raise InputError(
            f"sample {result['sample']} has no result to report: its scan failed "
            f"({error['message']}). {error['fix']}"
        )
    models = genes.load(result["build"])
    paths = output_paths(result, outdir)
    reads = supporting_reads(result, evidence_bam) if evidence_bam else None
    atomic_write({paths.html: html.render_sample(result, models, source, lab, reads)})
    _write_vcf_atomic(result, models, paths.vcf, reference)
    if not make_pdf:
        return ReportPaths(paths.html, paths.vcf, None)
    engine = pdf.find_chromium(chromium)
    pdf.html_to_pdf(paths.html, paths.pdf, engine)  # type: ignore[arg-type]
    return paths


def supporting_reads(result: dict[str, Any], evidence_bam: Path) -> dict[int, list[Any]] | None:
    """Record number -> molecules to draw, for each passing record; None without the file."""
    if not evidence_bam.is_file():
        return None
    try:
        return {
            n: junction_molecules(evidence_bam, n, fusion)
            for n, fusion in enumerate(result["fusions"], 1)
            if fusion["passed"]
        }
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"{evidence_bam}: not an evidence BAM of this result ({exc}); re-run `fusioncheck "
            "scan --evidence-bam` or leave the file out"
        ) from exc


def write_cohort_report(
    result_paths: list[str | Path], out: str | Path, report_dir: str | Path | None = None
) -> Path:
    """Write the cohort page ``out``, linking ``report_dir/<sample>.report.html`` for every
    result (``report_dir`` defaults to the directory of ``out``)."""
    out = Path(out)
    report_dir = Path(report_dir) if report_dir is not None else out.parent
    items = []
    for p in result_paths:
        result = load_result(p)
        target = output_paths(result, report_dir).html
        items.append((result, html.relative_href(target, out)))
    atomic_write({out: html.render_cohort(items)})
    return out
