"""Render a ``<sample>.fusioncheck.json`` result: HTML report, PDF, VCF; and a cohort page.

The JSON is the source of truth; nothing here reads the BAM.  Public API::

    result = load_result("S1.fusioncheck.json")
    paths = write_sample_report(result, "reports/", pdf=True)
    write_cohort_report(["S1.fusioncheck.json", ...], "cohort.html", report_dir="reports/")
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import jsonschema

from fusioncheck import genes
from fusioncheck.errors import InputError, OutputError
from fusioncheck.output import atomic_write, make_readable
from fusioncheck.report import html, pdf, vcf
from fusioncheck.report.lab import Lab


@dataclass(frozen=True)
class ReportPaths:
    html: Path
    vcf: Path
    pdf: Path | None


def _schema() -> dict:
    text = (resources.files("fusioncheck") / "schemas" / "fusioncheck.schema.json").read_text()
    return json.loads(text)


def load_result(path: str | Path) -> dict:
    """Read and validate one result document (InputError saying what is wrong)."""
    path = Path(path)
    try:
        result = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from exc
    validator = jsonschema.Draft202012Validator(_schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(result))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(
            f"{path}: not a fusioncheck result ({where}: {error.message}); re-run "
            "`fusioncheck scan` with this version"
        )
    return result


def output_paths(result: dict, outdir: str | Path) -> ReportPaths:
    stem = html.file_stem(result["sample"])
    outdir = Path(outdir)
    return ReportPaths(
        outdir / f"{stem}.report.html", outdir / f"{stem}.vcf", outdir / f"{stem}.report.pdf"
    )


def _write_vcf_atomic(result: dict, models: genes.GeneModels, path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write here ({exc.strerror})") from exc
    try:
        vcf.write_vcf(result, models, tmp)
        make_readable(Path(tmp))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_sample_report(
    result: dict,
    outdir: str | Path,
    make_pdf: bool = True,
    chromium: str | None = None,
    source: str | None = None,
    lab: Lab | None = None,
) -> ReportPaths:
    """Write ``<sample>.report.html``, ``<sample>.vcf`` and (``make_pdf``) ``.report.pdf``.

    HTML and VCF are written first; a missing or failing PDF engine then raises
    :class:`pdf.PdfEngineError`, so the caller can tell the user while the others stay.
    """
    models = genes.load(result["build"])
    paths = output_paths(result, outdir)
    atomic_write({paths.html: html.render_sample(result, models, source, lab)})
    _write_vcf_atomic(result, models, paths.vcf)
    if not make_pdf:
        return ReportPaths(paths.html, paths.vcf, None)
    engine = pdf.find_chromium(chromium)
    pdf.html_to_pdf(paths.html, paths.pdf, engine)  # type: ignore[arg-type]
    return paths


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
