"""An optional interactive page of a sample's supporting reads: ``<sample>.igv.html``.

igv-reports (the IGV team's PyPI package) embeds the reads and the reference sequence around
each site in one HTML page that igv.js draws.  Its templates load igv.js from a CDN, and its
``--standalone`` downloads igv.js while writing; analysis nodes have no internet, so here the
template's script tag is replaced by igv.js itself, installed beforehand from npm (pinned by
``resources/igv/package-lock.json``; ``FUSIONCHECK_IGV_JS`` points elsewhere).  The written
page is checked to load nothing from outside.  It is a review aid, separate from the
sign-out report, which stays free of scripts.

One row per reported record, both breakpoints side by side (a BEDPE site: igv.js's split
view, as the IGV desktop session shows them); the reads are the evidence BAM's, grouped by
evidence type (tag ``fe``) and coloured by record (tag ``fr``).
"""

from __future__ import annotations

import html
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

from fusioncheck.errors import FusioncheckError, InputError
from fusioncheck.genes import ContigStyle
from fusioncheck.model import ScanResult, load_result, position
from fusioncheck.output import atomic_output, atomic_write
from fusioncheck.review.igv import FLANK

IGV_JS_ENV = "FUSIONCHECK_IGV_JS"
#: Where `npm ci --prefix resources/igv` (run by .ci/install.sh) puts igv.js in a checkout.
IGV_JS_IN_CHECKOUT = "resources/igv/node_modules/igv/dist/igv.min.js"
IGV_JS_DEFAULT = Path(__file__).resolve().parents[3] / IGV_JS_IN_CHECKOUT
INSTALL_IGV_REPORTS = "pip install igv-reports (or pip install -e '.[igv]' in the checkout)"
INSTALL_IGV_JS = (
    "run `npm ci --prefix resources/igv` in the fusioncheck checkout (.ci/install.sh does), "
    f"or set {IGV_JS_ENV} to an igv.min.js from the npm package igv"
)
#: Bases embedded around each breakpoint: reads and mates within the largest insert.
FLANKING = 2000

_TEMPLATE_SCRIPT = re.compile(r'<script[^>]*\bsrc="[^"]*igv[^"]*\.js"[^>]*>\s*</script>')


#: The browser itself refuses any request that leaves the page: scripts and styles inline,
#: data only from the data: and blob: URIs igv-reports embeds.
CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "img-src data: blob:; connect-src data: blob:; font-src data:"
)
#: The browser option of the template after which ours is added.
_OPTION = "search: false"
_CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'


class IgvHtmlError(FusioncheckError):
    """The interactive page cannot be written (igv-reports or igv.js missing, or failing)."""


def igv_js_path(default: Path = IGV_JS_DEFAULT) -> Path:
    """The igv.js to inline (``FUSIONCHECK_IGV_JS``, else ``default``: the checkout's), or
    :class:`IgvHtmlError` saying how to install it."""
    path = Path(os.environ.get(IGV_JS_ENV) or default)
    if not path.is_file():
        raise IgvHtmlError(f"igv_html: igv.js not found at {path}: {INSTALL_IGV_JS}")
    return path


def igv_reports_template() -> Path:
    """The installed igv-reports' page template, or :class:`IgvHtmlError`."""
    spec = importlib.util.find_spec("igv_reports")
    if spec is None or spec.origin is None:
        raise IgvHtmlError(f"igv_html: igv-reports is not installed: {INSTALL_IGV_REPORTS}")
    template = Path(spec.origin).parent / "templates" / "variant_template.html"
    if not template.is_file():
        raise IgvHtmlError(f"igv_html: {template} is missing: reinstall igv-reports")
    return template


def check_ready(default: Path = IGV_JS_DEFAULT) -> Path:
    """The igv.js to use; :class:`IgvHtmlError` unless a page can be written."""
    igv_reports_template()
    return igv_js_path(default)


def _version(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _igv_js_version(igv_js: Path) -> str:
    """The npm package's version (package.json beside dist/), "unknown" when not there."""
    try:
        return str(json.loads((igv_js.parent.parent / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def inline_igv_js(template: str, igv_js: str, title: str, header: str) -> str:
    """``template`` with ``title``, the page policy, ``header`` (HTML) after <body> and igv.js
    inside its script tag (last: igv.js itself holds "<head>" and "<body>" strings)."""
    if re.search(r"</script", igv_js, re.I):
        raise IgvHtmlError("igv.js contains '</script' and cannot be inlined; use igv.min.js")
    if len(_TEMPLATE_SCRIPT.findall(template)) != 1 or any(
        template.count(tag) != 1 for tag in ("<head>", "<body>", _OPTION)
    ):
        raise IgvHtmlError(
            "igv-reports' template has changed (not one each of igv.js's script tag, <head>, "
            f"<body>, {_OPTION!r}): "
            "use igv-reports 1.17 (pip install 'igv-reports>=1.17,<2')"
        )
    page = re.sub(r"<title>.*?</title>", lambda _: f"<title>{html.escape(title)}</title>", template)
    page = page.replace("<head>", f"<head>\n{_CSP_META}").replace("<body>", f"<body>\n{header}")
    # igv.js would otherwise fetch its list of hosted genomes (igv.org, GitHub) on start.
    page = page.replace(_OPTION, f"{_OPTION}, loadDefaultGenomes: false")
    page = page.replace('"lbl-toggle">Variants<', '"lbl-toggle">Fusion records<')
    # The source map would be looked up beside the page; a function keeps "\" literal.
    script = re.sub(r"^//# sourceMappingURL=.*$", "", igv_js, flags=re.M)
    return _TEMPLATE_SCRIPT.sub(lambda _: f"<script>\n{script}\n</script>", page)


def _bam_name(style: ContigStyle, breakpoint: str) -> tuple[str, int]:
    chrom, pos = position(breakpoint)
    return style.to_bam(chrom), pos


def sites_bedpe(result: ScanResult) -> str:
    """One BEDPE line per record: both breakpoints (0-based, 1 bp), named for the table."""
    style = ContigStyle(result.contig_style)
    lines = []
    for n, f in enumerate(result.fusions, 1):
        (c5, p5), (c3, p3) = _bam_name(style, f.breakpoint_5p), _bam_name(style, f.breakpoint_3p)
        name = (
            f"{n}:{f.five_prime_gene}::{f.three_prime_gene} ({f.kind}), "
            f"{f.supporting_fragments} molecules: {f.split_reads} split, "
            f"{f.spanning_pairs} spanning; {'passed' if f.passed else 'not passed'}"
        )
        lines.append(f"{c5}\t{p5 - 1}\t{p5}\t{c3}\t{p3 - 1}\t{p3}\t{name}\n")
    return "".join(lines)


def track_config(result: ScanResult, evidence_bam: Path) -> list[dict[str, object]]:
    """The evidence BAM as igv-reports' --track-config: every read shown (it holds only the
    evidence), grouped by evidence type and coloured by record."""
    return [
        {
            "name": f"{result.sample} evidence (fusioncheck)",
            "url": str(evidence_bam.resolve()),
            "type": "alignment",
            "format": "bam",
            "height": 500,
            "filter": {"duplicate": False, "vendorFailed": False},
            "groupBy": "tag:fe",
            "colorBy": "tag:fr",
        }
    ]


def _intro(result: ScanResult, versions: str) -> str:
    sample = html.escape(result.sample)
    return (
        f'<header id="fusioncheck-header" style="font-family: sans-serif">\n'
        f"<h1>fusioncheck evidence: {sample}</h1>\n"
        f"<p>Call: {html.escape(result.call)}. The supporting reads of each reported record "
        f"({sample}.evidence.bam): choose a record in the table; both breakpoints are shown "
        "side by side, reads grouped by evidence type (tag fe) and coloured by record "
        "(tag fr). A review aid, not the sign-out report.</p>\n"
        f'<p id="fusioncheck-versions">Drawn by {html.escape(versions)}, inlined: the page '
        "loads nothing from outside.</p>\n</header>"
    )


def no_records_page(result: ScanResult) -> str:
    """The page of a sample with no reported record: says so, draws nothing, no script."""
    sample = html.escape(result.sample)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">\n'
        f"<title>fusioncheck evidence: {sample}</title>\n</head>\n<body>\n"
        f"<h1>fusioncheck evidence: {sample}</h1>\n"
        f"<p>Call: {html.escape(result.call)} ({html.escape(result.call_reason)}).</p>\n"
        "<p>No fusion record was reported, so there are no supporting reads to show.</p>\n"
        "</body>\n</html>\n"
    )


def check_offline(page: str, path: Path) -> None:
    """No element of ``page`` outside script bodies names a file or address to load."""
    markup = re.sub(r"(<script\b[^>]*>).*?</script>", r"\1</script>", page, flags=re.S | re.I)
    loads = re.findall(r"<[a-z]+\b[^>]*\b(?:src|href)\s*=[^>]*>", markup, re.I)
    if loads:
        raise IgvHtmlError(f"{path}: the page would load {loads[0]!r}; it must be offline")


def write_igv_html(
    result_path: Path,
    evidence_bam: Path,
    reference: Path | None,
    out: Path,
    igv_js: Path | None = None,
) -> Path:
    """Write ``out``, the interactive page of the result at ``result_path`` (``igv_js``:
    default :func:`igv_js_path`)."""
    result = load_result(result_path)
    if not result.fusions:
        atomic_write({out: no_records_page(result)})
        return out
    if reference is None:
        raise InputError(
            f"{result_path}: the interactive page (igv_html) of {result.sample} needs the "
            "genome FASTA the reads were aligned to: give it in the sheet's reference column "
            "or the config's `reference`"
        )
    if not evidence_bam.is_file():
        raise InputError(f"{evidence_bam}: evidence BAM not found; scan with --evidence-bam")
    template, igv_js = igv_reports_template(), igv_js or igv_js_path()
    versions = f"igv.js {_igv_js_version(igv_js)} and igv-reports {_version('igv-reports')}"
    page = inline_igv_js(
        template.read_text(),
        igv_js.read_text(),
        f"fusioncheck evidence: {result.sample}",
        _intro(result, versions),
    )
    with tempfile.TemporaryDirectory(prefix="fusioncheck-igv-") as tmp:
        work = Path(tmp)
        (work / "sites.bedpe").write_text(sites_bedpe(result))
        (work / "tracks.json").write_text(json.dumps(track_config(result, evidence_bam)))
        (work / "template.html").write_text(page)
        with atomic_output(out) as partial:
            _run_igv_reports(work, reference, partial, out.name)
            check_offline(partial.read_text(), out)
    return out


def _run_igv_reports(work: Path, reference: Path, out: Path, name: str) -> None:
    """igv-reports' create_report, run by this Python (the one it is installed in)."""
    command = [
        sys.executable, "-m", "igv_reports.report", str(work / "sites.bedpe"),
        "--fasta", str(reference), "--track-config", str(work / "tracks.json"),
        "--template", str(work / "template.html"), "--output", str(out),
        "--flanking", str(FLANKING), "--window", str(2 * FLANK), "--exclude-flags", "0",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise IgvHtmlError(f"igv-reports failed writing {name}:\n{tail}")
