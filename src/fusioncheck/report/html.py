"""The self-contained HTML report (and the cohort page).

One file: inline CSS, figures as inline SVG, no script, no external reference of any kind; a
Content-Security-Policy forbids scripts and every network request, so even a string that
escaped escaping could not run or fetch anything.  Every value from the JSON passes through
:func:`esc`; only :class:`Markup` (built here) is inserted as is.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup, escape

from fusioncheck import __version__
from fusioncheck.filters import FILTERS
from fusioncheck.genes import GeneModels
from fusioncheck.model import reported_target
from fusioncheck.report import figures, text
from fusioncheck.report.lab import Lab
from fusioncheck.review.drawing import WINDOW as READ_WINDOW

#: Section ids and titles, in the order a pathologist reads them: the result first, as clinical
#: molecular reports do.  Tests and docs use these.
SECTIONS = (
    ("result", "1. Result"),
    ("sample", "2. Sample and test"),
    ("evidence", "3. Evidence"),
    ("figures", "4. Figures"),
    ("interpretation", "5. Interpretation"),
    ("method", "6. Method and limitations"),
    ("references", "References"),
)

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'"

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def esc(value: object) -> Markup:
    """Escaped text (``Markup`` passes through); None prints as an en dash."""
    if value is None:
        return Markup("–")
    return escape(value)


@cache
def _templates() -> jinja2.Environment:
    """Templates shipped in the package; autoescape on for every one of them."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("fusioncheck.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def join(parts: Iterable[object]) -> Markup:
    return Markup("".join(esc(p) for p in parts))


def file_stem(sample: str) -> str:
    """The sample ID as a file name: characters outside ``[A-Za-z0-9._-]`` become ``_``
    (scan only accepts such IDs; a hand-edited JSON may not)."""
    stem = _SAFE_NAME.sub("_", sample).lstrip(".")
    return stem or "sample"


def _css_string(value: str) -> str:
    """A CSS string literal; everything outside a safe set is hex-escaped, so the value
    cannot close the string, the rule or the style element."""
    out = []
    for c in value:
        out.append(c if c.isalnum() and c.isascii() or c in " ._-" else f"\\{ord(c):x} ")
    return '"' + "".join(out) + '"'


def _table(
    rows: Iterable[Sequence[object]], cls: str = "kv", head: Sequence[object] | None = None
) -> Markup:
    html = [f'<table class="{cls}">']
    if head:
        html.append("<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr></thead>")
    html.append("<tbody>")
    for row in rows:
        first, *rest = row
        cells = f'<th scope="row">{esc(first)}</th>' + "".join(f"<td>{esc(c)}</td>" for c in rest)
        html.append(f"<tr>{cells}</tr>")
    html.append("</tbody></table>")
    return Markup("".join(html))


def _p(content: object, cls: str | None = None) -> Markup:
    attr = f' class="{cls}"' if cls else ""
    return Markup(f"<p{attr}>{esc(content)}</p>")


# --- sections ---------------------------------------------------------------------------------


DESIGN_NAMES = {
    "wts": "whole transcriptome",
    "amp": "anchored multiplex PCR",
    "rna_capture": "hybrid-capture RNA panel",
    "dna_capture": "hybrid-capture DNA panel",
}


def _sides(sides: list[str] | None) -> str:
    names = {"5p": "5' partner", "3p": "3' partner"}
    return " and ".join(names[s] for s in sides) if sides else "–"


def _cautions(r: dict[str, Any]) -> list[Markup]:
    """Disabled filters and warnings: what the reader must know before relying on the call."""
    items = [f"Filter switched off by the configuration: {name}." for name in
             r.get("filters_disabled", [])]  # fmt: skip
    items += [f"Warning: {w}." for w in r.get("warnings", [])]
    if not items:
        return []
    return [Markup("<h3>Cautions</h3>"), *(_p(i, "caution") for i in items)]


def _sample_rows(r: dict[str, Any]) -> list[tuple[str, object]]:
    checksum = r["input"]["checksum"]
    return [
        ("Sample", r["sample"]),
        ("Assay", text.ASSAY_NAMES.get(r["assay"], r["assay"])),
        ("Assay design", DESIGN_NAMES.get(r.get("design", ""), r.get("design") or "–")),
        ("Tumour content (pathologist)", "not given" if r["sensitivity"].get("tumour_content")
         is None else f"{r['sensitivity']['tumour_content']:.0%}"),
        ("Analysis date", r["run"].get("finished") or r["run"].get("started")),
        ("Software", f"fusioncheck {r['tool']['version']} (report {__version__})"),
        ("Genome build", f"{r['build']} (contig names: {r['contig_style']})"),
        ("Input file", f"{r['input']['path']} ({r['input']['format']}, "
         f"{r['input']['size_bytes']:,} bytes)"),
        ("Checksum", Markup(
            f"{esc(text.CHECKSUM_NAMES.get(checksum['algorithm'], checksum['algorithm']))}"
            f'<br><code class="hash">{esc(checksum["value"])}</code>')),
        ("Reference FASTA", r["input"]["reference"] or "none given"),
        ("Command", Markup(f"<code>{esc(r['command'])}</code>")),
    ]  # fmt: skip


def _result_box(r: dict[str, Any]) -> dict[str, Any]:
    """What the result box on page 1 shows: call, fusion, confidence, one sentence."""
    call = r["call"]
    fusion = reported_target(r)
    return {
        "cls": {"DETECTED": "detected", "NOT_DETECTED": "negative"}.get(call, "indeterminate"),
        "label": call.replace("_", " "),
        "fusion": text.fusion_name(fusion) if fusion else text.target_name(),
        "confidence": r["confidence"] or "not applicable (no fusion called)",
        "sentence": text.result_sentence(r),
        "findings": text.additional_findings(r),
        "reason": r["call_reason"] if call == "NOT_DETECTED" else None,
    }


def _filters_text(filters: dict[str, Any]) -> str:
    removed = [f"{name} {n:,}" for name, n in sorted(filters.items()) if n]
    return ", ".join(removed) if removed else "none removed"


def _junction_cell(f: dict[str, Any]) -> Markup | None:
    seq = f.get("junction_sequence")
    if not seq:
        return None
    source = {"reference": "from the reference genome", "reads": "consensus of the reads"}
    note = source.get(f.get("junction_sequence_source") or "", "")
    return Markup(f'<code class="junction">{esc(seq)}</code><br>{esc(note)}')


def _fusion_table(fusions: list[dict[str, Any]]) -> Markup:
    def status(f: dict[str, Any]) -> str:
        return "reported (passed)" if f["passed"] else "listed only (did not pass)"

    fields = [
        ("Kind", lambda f: {"target": "ASPSCR1::TFE3", "reciprocal": "reciprocal",
                            "other_partner": "other partner"}.get(f["kind"], f["kind"])),
        ("Status", status),
        ("5' breakpoint", lambda f: f["breakpoint_5p"]),
        ("3' breakpoint", lambda f: f["breakpoint_3p"]),
        ("Precision", lambda f: f["breakpoint_precision"]),
        ("5' exon (last kept)", lambda f: f["exon_5p"]),
        ("3' exon (first kept)", lambda f: f["exon_3p"]),
        ("5' / 3' intron (DNA)", lambda f: f"{text.fmt_number(f['intron_5p'])} / "
                                           f"{text.fmt_number(f['intron_3p'])}"),
        ("5' transcript", lambda f: f["transcript_5p"]),
        ("3' transcript", lambda f: f["transcript_3p"]),
        ("Split reads", lambda f: text.fmt_number(f["split_reads"])),
        ("Spanning pairs", lambda f: text.fmt_number(f["spanning_pairs"])),
        ("Supporting fragments", lambda f: text.fmt_number(f["supporting_fragments"])),
        ("Reading frame", lambda f: f["reading_frame"]),
        ("Junction confidence", lambda f: f["confidence"]),
        ("Literature type", text.type_text),
        ("Predicted protein", lambda f: Markup(f"<code>{esc(f['fusion_protein'])}</code>")
                                        if f["fusion_protein"] else None),
        ("Junction sequence (5'|3')", _junction_cell),
        ("Removed by filters", lambda f: _filters_text(f["filters"])),
    ]  # fmt: skip
    if all(f["intron_5p"] is None and f["intron_3p"] is None for f in fusions):
        fields = [field for field in fields if "intron" not in field[0]]
    head = ["", *(text.fusion_name(f) for f in fusions)]
    rows = [(label, *(get(f) for f in fusions)) for label, get in fields]  # type: ignore[no-untyped-call]
    return _table(rows, "grid", head)


def _evidence_body(r: dict[str, Any]) -> Markup:
    body: list[Markup] = [Markup("<h3>Fusion junctions</h3>")]
    if r["fusions"]:
        shown = r["fusions"][:6]
        body.append(_fusion_table(shown))
        if len(r["fusions"]) > len(shown):
            body.append(_p(f"{len(r['fusions']) - len(shown)} further records are in the JSON."))
    else:
        body.append(_p("No fusion junction was found in the ASPSCR1 and TFE3 regions."))

    body.append(Markup("<h3>Filters applied (whole scan)</h3>"))
    frows = [(name, text.fmt_number(n), FILTERS.get(name, "")) for name, n in r["filters"].items()]
    body.append(
        _table(frows, "grid", ["Filter", "Records removed", "Artefact it removes"])
        if frows
        else _p("No filter counts were recorded.")
    )
    body += _cautions(r)

    qc, sens = r["qc"], r["sensitivity"]
    reads = ", ".join(f"{g} {n:,}" for g, n in qc["reads_in_windows"].items()) or "none"
    junction_cov = ", ".join(
        f"{k} {text.fmt_number(v)}" for k, v in qc["junction_exon_coverage"].items()
    )
    df = sens["detectable_fraction"]
    rows = [
        ("Reads in gene windows", reads),
        ("Junction-exon coverage (fragments)", junction_cov or "–"),
        ("Duplicate rate", f"{qc['duplicate_rate'] * 100:.1f}%"),
        ("Read length / paired", f"{qc['read_length']} / {'yes' if qc['paired'] else 'no'}"),
        ("Informative fragments 5' / 3'", f"{text.fmt_number(sens['informative_fragments_5p'])}"
         f" / {text.fmt_number(sens['informative_fragments_3p'])}"),
        ("Detectable fusion fraction (95%)", "–" if df is None else f"{df * 100:.1f}%"),
        ("Minimum supporting fragments", sens["min_support"]),
        ("Sides assessed", _sides(sens.get("sides_assessed"))),
        ("Fraction a negative must see", f"{sens['required_fraction'] * 100:.1f}%"
         if "required_fraction" in sens else "–"),
        ("PCR copies told apart by", qc.get("molecule_identity", "–")),
        ("Reads soft-clipped by unknown sequence", f"{qc.get('unmatched_soft_clips', 0):,} "
         f"({qc.get('unmatched_junction_clips', 0):,} at a junction exon edge)"),
        ("Sensitivity", sens["statement"]),
        ("Reciprocal TFE3::ASPSCR1", f"{r['reciprocal']['status'].replace('_', ' ')} "
         f"({r['reciprocal']['fragments']} fragments)"),
        ("TFE3 exon balance", f"{r['tfe3_imbalance']['status']}: "
         f"{r['tfe3_imbalance']['statement']}"),
    ]  # fmt: skip
    body += [Markup("<h3>Quality control and sensitivity</h3>"), _table(rows)]
    if r["unresolved_tfe3_breaks"]:
        urows = [
            (f"TFE3 exon {b['exon_3p']}", b["breakpoint_3p"], text.fmt_number(b["reads"]))
            for b in r["unresolved_tfe3_breaks"]
        ]
        body += [
            Markup("<h3>TFE3 breaks with no known partner</h3>"),
            _table(urows, "grid", ["Exon start", "Position", "Reads"]),
        ]
    return Markup("").join(body)


def _figure_caption(fusion: dict[str, Any]) -> str:
    note = text.type_note(fusion)
    head = f"{text.fusion_name(fusion)}" + (
        f" (exon {fusion['exon_5p']}::exon {fusion['exon_3p']}: {note})" if note else ""
    )
    return (f"{head}: exons of both partners to scale (introns shortened, 5' to 3' left to right "
            "whatever the strand); filled exons are kept in the fusion, the dashed red lines "
            "mark the breakpoints.")  # fmt: skip


def _reads_caption(fusion: dict[str, Any], molecules: list[Any]) -> str:
    shown = len(molecules)
    total = fusion["supporting_fragments"]
    source = {"reference": "the reference genome", "reads": "the reads' consensus"}.get(
        fusion.get("junction_sequence_source") or "", "no junction sequence (none marked)"
    )
    return (
        f"{text.fusion_name(fusion)}: {shown} of {total} supporting molecules from the "
        "evidence BAM, one fragment each, 5' partner left of the junction (dashed line) and "
        "3' partner right. A bar across the line is a read across the junction; two bars "
        "joined by a thin line are a discordant pair (one mate in each gene); red ticks are "
        f"bases differing from the junction sequence (from {source}); an arrow means the "
        "molecule continues beyond the window (e.g. past an intron)."
    )


def _figures_body(
    r: dict[str, Any], models: GeneModels, reads: dict[int, list[Any]] | None = None
) -> Markup:
    body: list[Markup] = []
    drawn = [(i, f) for i, f in enumerate(r["fusions"], 1) if f["passed"]][:4]
    n = 0
    for index, fusion in drawn:
        n += 1
        body.append(
            Markup(
                f"<figure>{figures.fusion_diagram(fusion, models)}<figcaption>Figure {n}. "
                f"{esc(_figure_caption(fusion))}</figcaption></figure>"
            )
        )
        if reads is None:
            continue
        n += 1
        svg = figures.read_figure(fusion, reads.get(index, []), READ_WINDOW)
        body.append(
            Markup(
                f'<figure class="reads">{svg}<figcaption>Figure {n}. '
                f"{esc(_reads_caption(fusion, reads.get(index, [])))}</figcaption></figure>"
            )
        )
    if drawn and reads is None:
        body.append(_p("The supporting reads are not drawn: no evidence BAM was found (run "
                       "`fusioncheck scan --evidence-bam`; docs/report.md).", "small"))  # fmt: skip
    if not drawn:
        n += 1
        body.append(
            Markup(
                f"<figure>{figures.junction_region_diagram(models)}<figcaption>Figure {n}. No "
                "fusion passed the support rules. The exons assessed for a junction (ASPSCR1 "
                "exon 7; TFE3 exons 4-6) are filled: the reported ASPS types join TFE3 exon 6 "
                "(type 1) or exon 5 (type 2); exon 4 is in frame, not a reported ASPS type."
                "</figcaption></figure>"
            )
        )
    coverage = r["qc"].get("exon_coverage", {})
    genes = [g for g in ("ASPSCR1", "TFE3") if g in coverage]
    genes += [g for g in coverage if g not in genes]
    for gene in genes:
        n += 1
        body.append(
            Markup(
                f"<figure>{figures.coverage_chart(gene, coverage[gene], models)}"
                f"<figcaption>Figure {n}. {esc(gene)}: fragments overlapping each exon (n), "
                "drawn as fragments per kb of exon so that exons of different length compare."
                "</figcaption></figure>"
            )
        )
    if not genes:
        body.append(_p("Per-exon coverage is not in this result file."))
    return Markup("").join(body)


# --- page -------------------------------------------------------------------------------------

_STYLE = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: FOOTER; font: 8pt Arial, Helvetica, sans-serif; color: #555; }
  @bottom-right { content: "Page " counter(page) " of " counter(pages);
                  font: 8pt Arial, Helvetica, sans-serif; color: #555; } }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font: 10.5pt/1.45 Arial, Helvetica, sans-serif; color: #111; margin: 0 auto;
       max-width: 190mm; padding: 12px 16px 32px; background: #fff; }
header.top { border-bottom: 2px solid #1f2f3f; padding-bottom: 6px; margin-bottom: 10px; }
header.top h1 { font-size: 16pt; margin: 0; }
header.top .sub { color: #444; font-size: 9.5pt; }
header.top .logo { float: right; max-height: 18mm; max-width: 50mm; margin-left: 8px; }
header.top .lab { margin-bottom: 4px; font-size: 9.5pt; color: #222; }
header.top .lab-name { font-weight: bold; font-size: 11pt; }
header.top::after { content: ""; display: block; clear: both; }
table.box { width: auto; margin: 4px 0; font-size: 10.5pt; }
table.box th, table.box td { border: none; padding: 1px 12px 1px 0; }
h2 { font-size: 12.5pt; margin: 18px 0 6px; padding-bottom: 2px; border-bottom: 1px solid #999; }
h3 { font-size: 10.5pt; margin: 12px 0 4px; }
p { margin: 4px 0 6px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 8px; font-size: 9.5pt;
        table-layout: fixed; }
th, td { text-align: left; vertical-align: top; padding: 3px 6px; border: 1px solid #c8c8c8;
         overflow-wrap: break-word; }
table.cohort td:nth-child(2) { white-space: nowrap; }
table.kv th { width: 32%; background: #f3f3f3; font-weight: 600; }
table.grid thead th { background: #e8ecf0; }
table.grid tbody th { background: #f6f6f6; font-weight: 600; width: 24%; }
code { font: 8.5pt/1.3 "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow-wrap: anywhere; }
.result { border: 2px solid #555; border-left-width: 10px; padding: 8px 12px; margin: 6px 0;
          break-inside: avoid; }
.result .call { font-size: 15pt; font-weight: bold; letter-spacing: .02em; }
.result .sentence { font-size: 11.5pt; margin: 4px 0 0; }
.result.detected { border-color: #8b1a1a; } .result.detected .call { color: #8b1a1a; }
.result.negative { border-color: #1d5e2e; } .result.negative .call { color: #1d5e2e; }
.result.indeterminate { border-color: #8a5a00; } .result.indeterminate .call { color: #8a5a00; }
ul.findings { margin: 6px 0; padding-left: 20px; font-weight: 600; }
.reason, .small { font-size: 9pt; color: #333; }
figure { margin: 8px 0 12px; break-inside: avoid; }
figcaption { font-size: 9pt; color: #333; margin-top: 2px; }
svg { display: block; height: auto; }
ol.refs { font-size: 9pt; padding-left: 22px; } ol.refs li { margin-bottom: 3px; }
.signoff { margin-top: 18px; border: 1px solid #999; padding: 8px 12px; break-inside: avoid;
           font-size: 9.5pt; }
.signoff span { display: inline-block; min-width: 30%; margin-right: 3%; padding-top: 18px;
                border-bottom: 1px solid #333; }
footer { margin-top: 14px; font-size: 8pt; color: #555; }
@media print { body { padding: 0; max-width: none; } h2 { break-after: avoid; }
               h3 { break-after: avoid; } }
"""


def _page_context(title: str, footer: str, wide: bool = False) -> dict[str, Any]:
    style = _STYLE.replace("FOOTER", _css_string(footer))
    if wide:  # the cohort table needs landscape width
        style = style.replace("max-width: 190mm", "max-width: 277mm")
    return {"csp": CSP, "title": title, "style": Markup(style)}


def render_sample(
    result: dict[str, Any],
    models: GeneModels,
    source: str | None = None,
    lab: Lab | None = None,
    reads: dict[int, list[Any]] | None = None,
) -> str:
    """The HTML report of one result document (``lab``: the letterhead; default none;
    ``reads``: record number -> supporting molecules to draw, from the evidence BAM)."""
    r = result
    context = _page_context(
        f"fusioncheck report: {r['sample']}",
        f"fusioncheck · sample {r['sample']} · {r['call'].replace('_', ' ')}",
    )
    context.update(
        titles=dict(SECTIONS),
        lab=lab or Lab(),
        target=text.target_name(),
        sample=r["sample"],
        assay=text.ASSAY_NAMES.get(r["assay"], r["assay"]),
        build=r["build"],
        tool_version=r["tool"]["version"],
        version=__version__,
        result=_result_box(r),
        sample_rows=_sample_rows(r),
        evidence=_evidence_body(r),
        figures=_figures_body(r, models, reads),
        interpretation=text.interpretation(r),
        method=text.method_text(r, models),
        thresholds=", ".join(f"{k} = {v}" for k, v in r["thresholds"].items()),
        references=text.references(),
        source=source or "the result JSON",
    )
    return _templates().get_template("report.html.j2").render(context) + "\n"


def _junction_label(result: dict[str, Any]) -> str:
    fusion = reported_target(result)
    if fusion is None:
        return "–"
    label = f"ASPSCR1 ex{fusion['exon_5p']}::TFE3 ex{fusion['exon_3p']}"
    return label + text.type_phrase(fusion)


def _error_row(r: dict[str, Any], columns: int) -> str:
    """A sample whose scan failed: no report to link, its error and the fix in the reason."""
    error = r["error"]
    cells = [r["sample"], Markup('<strong class="c-error">ERROR</strong>')]
    cells += ["–"] * (columns - 3) + [f"scan failed: {error['message']} Fix: {error['fix']}"]
    return "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>"


def render_cohort(items: list[tuple[dict[str, Any], str]]) -> str:
    """The cohort page: one row per sample, each linking its report (``href`` relative to the
    cohort page)."""
    calls = Counter(r["call"] for r, _ in items)
    summary = ", ".join(f"{n} {c.replace('_', ' ')}" for c, n in sorted(calls.items()))
    head = ["Sample", "Call", "Confidence", "Junction", "Fragments (split / spanning)",
            "Other TFE3 fusions", "Reciprocal", "Detectable fraction", "Reads in windows",
            "Reason"]  # fmt: skip
    rows = []
    for r, href in items:
        if r["call"] == "ERROR":
            rows.append(_error_row(r, len(head)))
            continue
        fusion = reported_target(r)
        support = (
            f"{fusion['supporting_fragments']} ({fusion['split_reads']} / "
            f"{fusion['spanning_pairs']})"
            if fusion
            else "–"
        )
        others = ", ".join(text.fusion_name(f) for f in text.other_partner_fusions(r)) or "–"
        df = r["sensitivity"]["detectable_fraction"]
        cells = [
            Markup(f'<a href="{esc(href)}">{esc(r["sample"])}</a>'),
            Markup(f'<strong class="c-{esc(r["call"].lower())}">'
                   f'{esc(r["call"].replace("_", " "))}</strong>'),
            r["confidence"],
            _junction_label(r),
            support,
            others,
            f"{r['reciprocal']['status']} ({r['reciprocal']['fragments']})",
            "–" if df is None else f"{df * 100:.1f}%",
            text.fmt_number(sum(r["qc"]["reads_in_windows"].values())),
            r["call_reason"],
        ]  # fmt: skip
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    table = Markup(
        '<table class="grid cohort"><thead><tr>'
        + "".join(f"<th>{esc(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    body = [
        Markup(
            '<header class="top"><h1>ASPSCR1::TFE3 fusion: cohort summary</h1>'
            f'<div class="sub">{len(items)} samples: {esc(summary)} · fusioncheck '
            f"{esc(__version__)}</div></header>"
        ),
        _section_plain("Samples", [table]),
        _p(
            "Each sample name links to its full report. A DETECTED result supports, and does "
            "not replace, histology, TFE3 immunohistochemistry and FISH; NOT DETECTED holds "
            "only at the sensitivity stated for that sample.",
            "small",
        ),
    ]
    context = _page_context("fusioncheck cohort summary", "fusioncheck cohort summary", wide=True)
    context["body"] = Markup("").join(body)
    return _templates().get_template("page.html.j2").render(context) + "\n"


def _section_plain(title: str, body: list[Markup]) -> Markup:
    return Markup(f'<section id="samples"><h2>{esc(title)}</h2>' + "".join(body) + "</section>")


def relative_href(target: Path, page: Path) -> str:
    """URL of ``target`` relative to the directory of ``page``, percent-encoded."""
    import os

    rel = os.path.relpath(target.resolve(), page.resolve().parent)
    return quote(Path(rel).as_posix())
