"""The report: HTML opened in real headless Chromium, PDF text, VCF read by bcftools.

Result documents are built here (and validated against the schema); nothing is scanned.
Chromium, pdftotext and bcftools are required: a missing tool fails these tests, it never
skips them (Debian: ``apt-get install chromium poppler-utils bcftools``).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pysam
import pytest

from builders import document, fusion, validate
from chromium import require_tool
from fusioncheck import genes
from fusioncheck.cli import main
from fusioncheck.errors import InputError
from fusioncheck.report import html as report_html
from fusioncheck.report import interpretation, text
from fusioncheck.report.vcf import bnd_alt

SCRIPT_ID = "<script>alert(1)</script>"
SECTION_TITLES = [title for _, title in report_html.SECTIONS]


# --- result documents -------------------------------------------------------------------------


def detected(sample: str = "S_detected") -> dict:
    return document(sample, "DETECTED", [fusion()])


def not_detected() -> dict:
    return document(
        "S_negative",
        "NOT_DETECTED",
        [],
        call_reason="no ASPSCR1::TFE3 evidence; coverage excludes a fusion above 4.2%",
    )


def indeterminate() -> dict:
    weak = fusion(
        split_reads=0, spanning_pairs=2, supporting_fragments=2, confidence="low",
        breakpoint_precision="imprecise", passed=False, filters={},
    )  # fmt: skip
    doc = document(
        "S_indeterminate",
        "INDETERMINATE",
        [weak],
        call_reason="ASPSCR1::TFE3 evidence below the detection threshold: only 2 fragments",
    )
    doc["sensitivity"].update(detectable_fraction=0.61, informative_fragments_3p=4.0)
    return doc


def prcc_tfe3() -> dict:
    prcc = fusion(
        five_prime_gene="PRCC", kind="other_partner", breakpoint_5p="chr1:156768239",
        breakpoint_3p="chrX:49038442", exon_5p=1, exon_3p=4, transcript_5p="ENST00000271526.8",
        type_label=None,
    )  # fmt: skip
    return document(
        "S_prcc",
        "NOT_DETECTED",
        [prcc],
        call_reason="no ASPSCR1::TFE3 evidence; a TFE3 fusion with PRCC was found",
    )


def dna_panel() -> dict:
    """A DNA-panel call: the genomic join inside ASPSCR1 intron 7 and TFE3 intron 5."""
    dna = fusion(
        intron_5p=7, intron_3p=5, breakpoint_5p="chr17:82001000", breakpoint_3p="chrX:49035000",
        split_reads=6, spanning_pairs=10, supporting_fragments=16,
    )  # fmt: skip
    return document("S_dna", "DETECTED", [dna], assay="dna")


def hostile() -> dict:
    """Markup in every free-text field: all of it must show as text and none may run."""
    doc = detected(SCRIPT_ID)
    doc["call_reason"] = '<img src="http://example.invalid/x.png" onerror="alert(2)">'
    doc["command"] = "fusioncheck scan '<b>bold</b>' </code></td><script>alert(3)</script>"
    doc["input"]["path"] = '/data/"><iframe src="https://example.invalid/"></iframe>.bam'
    doc["tfe3_imbalance"]["statement"] = "<style>body{display:none}</style>"
    doc["sensitivity"]["statement"] = '<a href="https://example.invalid/">link</a>'
    validate(doc)
    return doc


def partners() -> dict:
    """SFPQ, NONO and RBM10 joined to TFE3 in one sample: what each points to, in the PDF too."""
    others = [
        fusion(five_prime_gene=gene, kind="other_partner", type_label=None)
        for gene in ("SFPQ", "NONO", "RBM10")
    ]
    return document(
        "S_partners",
        "NOT_DETECTED",
        others,
        call_reason="no ASPSCR1::TFE3 evidence; TFE3 fusions with SFPQ, NONO and RBM10 were found",
    )


def ex4() -> dict:
    """ASPSCR1 ex7::TFE3 ex4: in frame; the scan gives it no literature type."""
    join = fusion(exon_3p=4, breakpoint_3p="chrX:49038442", type_label=None)
    return document("S_ex4", "DETECTED", [join])


def balanced() -> dict:
    recip = fusion(
        five_prime_gene="TFE3", three_prime_gene="ASPSCR1", kind="reciprocal",
        side_5p="above", side_3p="above",
        breakpoint_5p="chrX:49034252", breakpoint_3p="chr17:81996847", exon_5p=5, exon_3p=8,
        transcript_5p="NM_006521.6 / ENST00000315869.7",
        transcript_3p="NM_024083.4 / ENST00000306739.8", type_label=None,
    )  # fmt: skip
    doc = document("S_balanced", "DETECTED", [fusion(), recip])
    doc["reciprocal"] = {"status": "present", "fragments": 14, "statement": "14 fragments."}
    validate(doc)
    return doc


# --- fixtures ---------------------------------------------------------------------------------

DOCUMENTS = {
    "detected": detected,
    "not_detected": not_detected,
    "indeterminate": indeterminate,
    "prcc_tfe3": prcc_tfe3,
    "hostile": hostile,
    "balanced": balanced,
    "dna_panel": dna_panel,
    "partners": partners,
    "ex4": ex4,
}


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict:
    """Every document rendered through the CLI (HTML, PDF, VCF) plus a cohort page."""
    require_tool("chromium")
    base = tmp_path_factory.mktemp("report")
    docs, jsons = {}, []
    for name, build in DOCUMENTS.items():
        doc = build()
        path = base / "json" / f"{name}.fusioncheck.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(doc))
        docs[name] = doc
        jsons.append(str(path))
    outdir = base / "reports"
    assert main(["report", *jsons, "--outdir", str(outdir)]) == 0
    cohort = base / "cohort" / "cohort.html"
    assert main(["report", "--cohort", *jsons, "--out", str(cohort), "--report-dir",
                 str(outdir)]) == 0  # fmt: skip
    out = {}
    for name, doc in docs.items():
        stem = report_html.file_stem(doc["sample"])
        out[name] = {
            "doc": doc,
            "html": outdir / f"{stem}.report.html",
            "pdf": outdir / f"{stem}.report.pdf",
            "vcf": outdir / f"{stem}.vcf",
        }
    out["cohort"] = cohort
    return out


# --- the HTML in Chromium ---------------------------------------------------------------------

CALL_SENTENCES = {
    "detected": "ASPSCR1::TFE3 fusion DETECTED (high confidence): ASPSCR1 exon 7 joined to TFE3 "
    "exon 6 (NM_024083.4 / NM_006521.6), in frame (corresponds to type 1).",
    "not_detected": "ASPSCR1::TFE3 fusion NOT DETECTED. A fusion in 4.2% of transcripts would "
    "have been detected with 95% probability.",
    "indeterminate": "ASPSCR1::TFE3 fusion status INDETERMINATE: ASPSCR1::TFE3 evidence below the "
    "detection threshold: only 2 fragments.",
    "prcc_tfe3": "ASPSCR1::TFE3 fusion NOT DETECTED.",
    "dna_panel": "ASPSCR1::TFE3 fusion DETECTED (high confidence): genomic break in ASPSCR1 "
    "intron 7 and TFE3 intron 5, predicting ASPSCR1 exon 7 joined to TFE3 exon 6",
}


@pytest.mark.parametrize("name", list(DOCUMENTS))
def test_html_in_chromium_has_every_section_no_errors_no_requests(
    name, rendered, browser, tmp_path_factory
):
    item = rendered[name]
    page = browser.open(item["html"])
    assert page.console_problems() == []
    assert [u for u in page.requests() if u != page.url] == []
    headings = page.evaluate("Array.from(document.querySelectorAll('h2'), h => h.textContent)")
    assert headings == SECTION_TITLES
    assert page.evaluate("document.querySelectorAll('script, iframe, img, link').length") == 0
    assert page.evaluate("document.querySelectorAll('section#figures svg').length") >= 2
    body = page.evaluate("document.body.innerText")
    assert item["doc"]["sample"] in body
    if name in CALL_SENTENCES:
        assert CALL_SENTENCES[name] in body.replace("\n", " ")
    shot = page.screenshot(tmp_path_factory.mktemp("shots") / f"{name}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("FUSIONCHECK_KEEP_SCREENSHOTS"):
        keep = Path(os.environ["FUSIONCHECK_KEEP_SCREENSHOTS"])
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / shot.name)


def test_markup_in_the_json_is_shown_as_text_and_never_runs(rendered, browser):
    item = rendered["hostile"]
    page = browser.open(item["html"])
    assert page.console_problems() == []  # no alert dialog, no blocked load
    assert [u for u in page.requests() if u != page.url] == []
    body = page.evaluate("document.body.innerText")
    assert SCRIPT_ID in body
    assert "<b>bold</b>" in body and "<style>body{display:none}</style>" in body
    assert page.evaluate("document.querySelectorAll('script, iframe, img, a, b').length") == 0
    assert page.evaluate("document.title") == f"fusioncheck report: {SCRIPT_ID}"
    # The file name is made safe; the ID itself is kept in the page.
    assert item["html"].name == "_script_alert_1___script_.report.html"


def test_cohort_page_links_every_report_and_loads_nothing(rendered, browser):
    page = browser.open(rendered["cohort"])
    assert page.console_problems() == []
    assert [u for u in page.requests() if u != page.url] == []
    links = page.evaluate("Array.from(document.querySelectorAll('td a'), a => a.href)")
    expected = {rendered[n]["html"].resolve().as_uri() for n in DOCUMENTS}
    assert set(links) == expected
    for n in DOCUMENTS:
        assert rendered[n]["html"].exists()
    assert SCRIPT_ID in page.evaluate("document.body.innerText")


# --- PDF --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["detected", "not_detected", "indeterminate", "prcc_tfe3"])
def test_pdf_has_the_same_sections(name, rendered):
    pdf = rendered[name]["pdf"]
    assert pdf.read_bytes()[:5] == b"%PDF-"
    out = subprocess.run(
        [require_tool("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = " ".join(out.split())
    positions = [flat.find(title) for title in SECTION_TITLES]
    assert -1 not in positions, dict(zip(SECTION_TITLES, positions))
    assert positions == sorted(positions), "sections out of order in the PDF"
    assert rendered[name]["doc"]["sample"] in flat
    if name in CALL_SENTENCES:
        assert CALL_SENTENCES[name] in flat
    assert "Page 1 of" in flat


# Issue 17: each corrected statement, for the case it concerns, in the PDF as in the HTML.
PDF_STATEMENTS = {
    "balanced": [
        "This does not point to renal cell carcinoma: balanced as well as unbalanced forms of "
        "the translocation have been observed in ASPS [6]",
        "The reciprocal is compatible with either tumour.",
    ],
    "detected": [
        "No reciprocal TFE3::ASPSCR1 evidence was found. This does not point to ASPS",
        "The fusion alone therefore does not distinguish these tumours (alveolar soft part "
        "sarcoma, TFE3-rearranged renal cell carcinoma and TFE3-rearranged PEComa or "
        "PEComa-like neoplasm)",
    ],
    "prcc_tfe3": [
        "TFE3-rearranged (Xp11 translocation) renal cell carcinoma (renal) [11]",
        "rare alveolar soft part sarcomas without ASPSCR1 involvement (soft tissue) [15]",
    ],
    "partners": [
        "TFE3-rearranged PEComa (SFPQ was the most common TFE3 partner in a 2024 series of 25) "
        "(visceral) [8]",
        "TFE3-rearranged PEComa (third most common TFE3 partner in a 2024 series, after SFPQ "
        "and ASPSCR1) (visceral) [8]",
        "Note: RBM10::TFE3 arises from a cryptic intrachromosomal Xp11.2 inversion that "
        "conventional TFE3 break-apart FISH can miss [10].",
    ],
    "ex4": [
        "ASPSCR1 exon 7 joined to TFE3 exon 4 (NM_024083.4 / NM_006521.6), in frame, not a "
        "reported ASPS type.",
        "ASPSCR1 exon 7 joined to TFE3 exon 4 is in frame, but it is not a reported ASPS "
        "junction type",
    ],
}


@pytest.mark.parametrize("name", list(PDF_STATEMENTS))
def test_pdf_carries_the_corrected_statement_for_its_case(name, rendered):
    flat = " ".join(_pdf_pages(rendered[name]["pdf"]))
    for statement in PDF_STATEMENTS[name]:
        assert statement in flat, statement


def _pdf_pages(pdf: Path) -> list[str]:
    out = subprocess.run(
        [require_tool("pdftotext"), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [" ".join(page.split()) for page in out.split("\f") if page.strip()]


@pytest.mark.parametrize("name", ["detected", "not_detected"])
def test_pdf_page1_opens_with_the_result_and_signoff_is_on_the_last_page(name, rendered):
    """Item 9: result box (call, fusion, confidence, sentence) before sample details."""
    pages = _pdf_pages(rendered[name]["pdf"])
    first = pages[0]
    call = rendered[name]["doc"]["call"].replace("_", " ")
    positions = [
        first.find(s)
        for s in (
            "1. Result",
            call,
            "Fusion ASPSCR1::TFE3",
            "Confidence",
            CALL_SENTENCES[name],
            "2. Sample and test",
        )
    ]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "Reviewed by (pathologist)" in pages[-1]
    assert all("Reviewed by (pathologist)" not in p for p in pages[:-1])


def test_missing_pdf_engine_is_an_error_after_html_and_vcf(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(detected("S_nopdf")))
    code = main(["report", str(path), "--outdir", str(tmp_path / "o"), "--chromium",
                 str(tmp_path / "no-such-chromium")])  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "PDF not written" in err and "--no-pdf" in err
    assert (tmp_path / "o" / "S_nopdf.report.html").exists()
    assert (tmp_path / "o" / "S_nopdf.vcf").exists()
    assert not (tmp_path / "o" / "S_nopdf.report.pdf").exists()
    assert main(["report", str(path), "--outdir", str(tmp_path / "p"), "--no-pdf"]) == 0


def test_invalid_result_is_refused_with_the_field(tmp_path, capsys):
    bad = detected()
    bad["call"] = "MAYBE"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    assert main(["report", str(path), "--outdir", str(tmp_path / "o"), "--no-pdf"]) == 1
    err = capsys.readouterr().err
    assert "call" in err and "not a fusioncheck result" in err
    assert not (tmp_path / "o").exists()
    assert main(["report", str(path)]) == 2  # no --outdir


# --- VCF --------------------------------------------------------------------------------------


def _records(vcf: Path) -> dict[str, pysam.VariantRecord]:
    subprocess.run([require_tool("bcftools"), "view", str(vcf)], check=True, capture_output=True)
    with pysam.VariantFile(str(vcf)) as handle:
        assert handle.header.version == "VCFv4.3"
        return {rec.id: rec for rec in handle}


def test_vcf_bnd_pairs_for_aspscr1_tfe3(rendered):
    recs = _records(rendered["detected"]["vcf"])
    five, three = recs["fc1_5p"], recs["fc1_3p"]
    # Both breakends keep the sequence below the position (ASPSCR1 + keeps its 5' part,
    # TFE3 - keeps its 3' part).
    assert (five.chrom, five.pos, five.alts) == ("chr17", 81996846, ("N]chrX:49034251]",))
    assert (three.chrom, three.pos, three.alts) == ("chrX", 49034251, ("N]chr17:81996846]",))
    assert five.info["MATEID"] == "fc1_3p" and three.info["MATEID"] == "fc1_5p"
    assert five.info["SVTYPE"] == "BND"
    assert (five.info["GENE"], five.info["EXON"], three.info["GENE"], three.info["EXON"]) == (
        "ASPSCR1", 7, "TFE3", 6,
    )  # fmt: skip
    assert (five.info["SR"], five.info["PE"], five.info["SU"]) == (9, 5, 14)
    assert list(five.filter) == ["PASS"]


def test_vcf_reciprocal_keeps_the_parts_above_and_failed_junctions_say_why(rendered):
    recs = _records(rendered["balanced"]["vcf"])
    assert recs["fc2_5p"].alts == ("[chr17:81996847[N",)
    assert recs["fc2_3p"].alts == ("[chrX:49034252[N",)
    failed = _records(rendered["indeterminate"]["vcf"])["fc1_5p"]
    assert set(failed.filter) == {"low_support", "no_split_read"}
    assert failed.info["IMPRECISE"] is True


def test_vcf_dna_join_is_the_intronic_break(rendered):
    recs = _records(rendered["dna_panel"]["vcf"])
    assert recs["fc1_5p"].alts == ("N]chrX:49035000]",)
    assert (recs["fc1_5p"].info["INTRON"], recs["fc1_3p"].info["INTRON"]) == (7, 5)


def test_vcf_other_partner_uses_the_partner_strand(rendered):
    recs = _records(rendered["prcc_tfe3"]["vcf"])
    assert recs["fc1_5p"].alts == ("N]chrX:49038442]",)  # PRCC on +: keeps below
    assert recs["fc1_5p"].info["FUSION"] == "PRCC::TFE3"
    assert recs["fc1_5p"].info["KIND"] == "other_partner"
    assert _records(rendered["not_detected"]["vcf"]) == {}


def test_bnd_alt_covers_all_four_joins():
    assert bnd_alt(True, "chr2", 5, True) == "N]chr2:5]"
    assert bnd_alt(True, "chr2", 5, False) == "N[chr2:5["
    assert bnd_alt(False, "chr2", 5, True) == "]chr2:5]N"
    assert bnd_alt(False, "chr2", 5, False) == "[chr2:5[N"


# --- words ------------------------------------------------------------------------------------


def test_type_label_only_as_a_correspondence():
    doc = document("S", "DETECTED", [fusion(exon_3p=5, breakpoint_3p="chrX:49038114",
                                            type_label="type 2")])  # fmt: skip
    sentence = text.result_sentence(doc)
    assert sentence.endswith("TFE3 exon 5 (NM_024083.4 / NM_006521.6), in frame "
                             "(corresponds to type 2).")  # fmt: skip
    assert sentence.count("type 2") == 1


def test_dna_sentence_names_the_introns():
    dna = fusion(
        intron_5p=7, intron_3p=5, breakpoint_5p="chr17:82001000", breakpoint_3p="chrX:49035000"
    )
    doc = document("S", "DETECTED", [dna], assay="dna")
    expected = (
        "genomic break in ASPSCR1 intron 7 and TFE3 intron 5, predicting ASPSCR1 exon 7 "
        "joined to TFE3 exon 6"
    )
    assert expected in text.result_sentence(doc)


@pytest.mark.parametrize(
    "partner, meanings",
    [
        ("PRCC", ["TFE3-rearranged (Xp11 translocation) renal cell carcinoma (renal) [11]",
                  "rare alveolar soft part sarcomas without ASPSCR1 involvement (soft tissue) "
                  "[15]"]),
        ("SFPQ", ["TFE3-rearranged PEComa (SFPQ was the most common TFE3 partner in a 2024 "
                  "series of 25) (visceral) [8]",
                  "melanotic Xp11 neoplasms, including melanotic Xp11 translocation renal "
                  "cancers (SFPQ is a very common partner) (visceral) [9]",
                  "TFE3-rearranged (Xp11 translocation) renal cell carcinoma (renal) [12]"]),
        ("NONO", ["TFE3-rearranged PEComa (third most common TFE3 partner in a 2024 series, "
                  "after SFPQ and ASPSCR1) (visceral) [8]",
                  "renal cell carcinoma, through an X-chromosome inversion (renal) [12]"]),
        ("RBM10", ["cryptic intrachromosomal Xp11.2 inversion (renal) [10]",
                   "Note: RBM10::TFE3 arises from a cryptic intrachromosomal Xp11.2 inversion "
                   "that conventional TFE3 break-apart FISH can miss [10]."]),
        ("MED15", ["renal cell carcinoma (renal) [14]"]),
        ("CLTC", ["renal cell carcinoma (renal) [13]"]),
        ("DVL2", ["rare alveolar soft part sarcomas without ASPSCR1 involvement (soft tissue)"]),
        ("HNRNPH3", ["a rare variant of alveolar soft part sarcoma without ASPSCR1 involvement "
                     "(soft tissue) [15]"]),
        ("YAP1", ["the YAP1::TFE3 subset of epithelioid haemangioendothelioma (soft tissue) [16]"]),
        ("chr5:1234567", ["TFE3 is joined to a locus with no annotated partner gene"]),
    ],
)  # fmt: skip
def test_other_partner_names_every_tumour_it_points_to(partner, meanings):
    """Issue 17 item 1: soft-tissue, visceral and renal tumours alike, each with its source."""
    doc = document("S", "NOT_DETECTED", [fusion(five_prime_gene=partner, kind="other_partner",
                                                type_label=None)])  # fmt: skip
    page = _visible_text(report_html.render_sample(doc, genes.load("GRCh38")))
    for meaning in meanings:
        assert meaning in page, meaning
    assert "never reported as ASPSCR1::TFE3" in page
    assert f"{partner}::TFE3" in " ".join(text.additional_findings(doc))
    assert "DETECTED (" not in text.result_sentence(doc)


def _visible_text(page: str) -> str:
    """The page's text with tags dropped and entities decoded, whitespace collapsed."""
    import html as std_html
    import re

    return " ".join(std_html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def _rendered(doc: dict) -> str:
    return _visible_text(report_html.render_sample(doc, genes.load(doc["build"])))


def test_fusion_named_as_not_specific_to_asps():
    """Item 2: the same fusion in RCC and PEComa-like neoplasms; 'these tumours', named."""
    page = _rendered(detected())
    assert ("The fusion alone therefore does not distinguish these tumours (alveolar soft part "
            "sarcoma, TFE3-rearranged renal cell carcinoma and TFE3-rearranged PEComa or "
            "PEComa-like neoplasm)") in page  # fmt: skip
    assert "PEComa-like neoplasms of the kidney, bladder and uterus [7]" in page
    assert "does not distinguish the two tumours" not in page


def test_reciprocal_present_does_not_point_to_rcc():
    """Item 3: a reciprocal is compatible with either tumour."""
    page = _rendered(balanced())
    assert ("Reciprocal TFE3::ASPSCR1 evidence was found (14 fragments): the t(X;17) in this "
            "tumour is at least in part balanced. This does not point to renal cell carcinoma: "
            "balanced as well as unbalanced forms of the translocation have been observed in "
            "ASPS [6]") in page  # fmt: skip
    assert "The reciprocal is compatible with either tumour." in page
    assert "not expected in the unbalanced der(17) of ASPS" not in page
    assert "Scan: 14 fragments." not in page  # the JSON statement is not echoed


def test_reciprocal_absent_does_not_point_to_asps():
    page = _rendered(detected())
    assert ("No reciprocal TFE3::ASPSCR1 evidence was found. This does not point to ASPS: "
            "balanced as well as unbalanced forms of the t(X;17) have been observed in ASPS "
            "[6]") in page  # fmt: skip
    assert "This is expected in the unbalanced der(17) of ASPS" not in page


def test_reciprocal_not_assessed_says_why_and_claims_nothing():
    doc = detected()
    doc["reciprocal"] = {"status": "not_assessed", "fragments": 0,
                         "statement": "<b>core words</b>"}  # fmt: skip
    validate(doc)
    page = _rendered(doc)
    assert ("Reciprocal TFE3::ASPSCR1 evidence was not assessed: the reciprocal junction regions "
            "lacked the coverage to show it. This argues neither for nor against any of the "
            "tumours above") in page  # fmt: skip
    assert "core words" not in page
    assert "not assessed (0 fragments)" in page  # evidence table


def test_fish_note_says_which_cases_it_cannot_settle():
    """Item 4: break-apart FISH does not name the partner and can miss RBM10::TFE3."""
    page = _rendered(not_detected())
    assert "it shows that TFE3 is rearranged, not with which partner" in page
    assert ("RBM10::TFE3 arises from a cryptic intrachromosomal Xp11.2 inversion that "
            "conventional TFE3 break-apart FISH can miss [10]") in page  # fmt: skip


def test_exon4_join_is_in_frame_not_a_reported_type():
    """Item 5: sentence, evidence table, figure caption and interpretation say so."""
    doc = ex4()
    assert text.result_sentence(doc) == (
        "ASPSCR1::TFE3 fusion DETECTED (high confidence): ASPSCR1 exon 7 joined to TFE3 exon 4 "
        "(NM_024083.4 / NM_006521.6), in frame, not a reported ASPS type."
    )
    page = _rendered(doc)
    assert "Literature type in frame, not a reported ASPS type" in page
    assert "Figure 1. ASPSCR1::TFE3 (exon 7::exon 4: in frame, not a reported ASPS type)" in page
    assert ("ASPSCR1 exon 7 joined to TFE3 exon 4 is in frame, but it is not a reported ASPS "
            "junction type") in page  # fmt: skip
    assert "type 1)" not in text.result_sentence(doc)


def test_method_explains_exon_numbering_across_eras():
    """Item 6."""
    page = _rendered(detected())
    assert ('their "exon 4" (type 1) and "exon 3" (type 2) correspond to exons 6 and 5 of '
            "NM_006521.6 used here") in page  # fmt: skip


def test_transcript_versions_come_from_the_result():
    """Item 7: the versioned IDs printed are the result's, whatever they are."""
    doc = document(
        "S_tx",
        "DETECTED",
        [
            fusion(
                transcript_5p="NM_024083.4 / ENST00000306739.9",
                transcript_3p="NM_006521.6 / ENST00000315869.8",
            )
        ],
    )
    page = _rendered(doc)
    assert ("Exons are numbered on the versioned transcripts NM_024083.4 / ENST00000306739.9 "
            "(ASPSCR1) and NM_006521.6 / ENST00000315869.8 (TFE3).") in page  # fmt: skip
    negative = _rendered(not_detected())  # no record: the gene models the report draws with
    assert "NM_024083.4 / ENST00000306739.8 (ASPSCR1)" in negative
    assert ("MANE Select pairs NM_024083.4 with Ensembl transcript ENST00000306739.9 "
            "(MANE-Select cross-reference of UniProtKB Q9BZE9).") in negative  # fmt: skip
    assert ("Which Ensembl transcript MANE Select pairs with NM_006521.6 (TFE3) was not "
            "confirmed against a MANE record.") in negative  # fmt: skip


def test_every_reference_is_complete_or_says_what_is_unconfirmed():
    """Item 8: year, volume and pages and PMID or DOI, or the missing fields named."""
    refs = text.references()
    assert len(refs) == 18
    assert refs[2] == (
        "Ladanyi M, Lui MY, Antonescu CR, et al. The der(17)t(X;17)(p11;q25) of human alveolar "
        "soft part sarcoma fuses the TFE3 transcription factor gene to ASPL, a novel gene at "
        "17q25. Oncogene. 2001;20(1):48-57. PMID 11244503."
    )
    assert refs[1] == (
        "WHO Classification of Tumours Editorial Board. Soft Tissue and Bone Tumours. WHO "
        "Classification of Tumours, 5th edition. Lyon (France): International Agency for "
        "Research on Cancer (WHO classification of tumours series, 5th ed.; vol. 3). 2020."
    )
    assert refs[4] == (
        "Heimann P, El Housni H, Ogur G, et al. Fusion of a novel gene, RCC17, to the TFE3 gene "
        "in t(X;17)(p11.2;q25.3)-bearing papillary renal cell carcinomas. Cancer Res. "
        "2001;61(10):4130-4135. PMID 11358836."
    )
    assert refs[17] == (
        "Folpe AL, Deyrup AT. Alveolar soft-part sarcoma: a review and update. J Clin Pathol. "
        "2006;59:1127-1132. PMCID PMC1860509. doi:10.1136/jcp.2005.031120. [Not confirmed "
        "against a bibliographic record: PMID.]"
    )
    for ref in refs[2:]:  # NORD and the WHO book (publisher, series volume) have no PMID
        if "(web page)" in ref:  # web sources: dated, no PMID
            continue
        complete = ("PMID" in ref or "doi:" in ref) and re.search(r"\d{4};\d+", ref)
        assert complete or "[Not confirmed against a bibliographic record:" in ref, ref


def test_unknown_citation_key_in_the_data_fails_loudly(monkeypatch):
    data = interpretation.load()
    broken = dataclasses.replace(data, statements={**data.statements, "x": "see [@nosuch]"})
    with pytest.raises(InputError, match="nosuch"):
        interpretation._check_citations(broken)


def test_lab_letterhead_from_the_cli_is_shown_escaped_with_an_inline_logo(tmp_path, browser):
    logo = tmp_path / "logo.svg"
    logo.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20">'
                    '<rect width="40" height="20" fill="#1f4e79"/></svg>')  # fmt: skip
    path = tmp_path / "d.json"
    path.write_text(json.dumps(detected("S_lab")))
    code = main(["report", str(path), "--outdir", str(tmp_path / "o"), "--no-pdf",
                 "--lab-name", "Molecular Pathology <b>Lab</b>", "--lab-address",
                 "1 Hospital Road, Leeds", "--lab-accreditation", "UKAS 12345 (ISO 15189)",
                 "--lab-logo", str(logo)])  # fmt: skip
    assert code == 0
    page = browser.open(tmp_path / "o" / "S_lab.report.html")
    assert page.console_problems() == []
    assert [u for u in page.requests() if u != page.url and not u.startswith("data:")] == []
    header = page.evaluate("document.querySelector('header.top').innerText")
    assert "Molecular Pathology <b>Lab</b>" in header
    assert "1 Hospital Road, Leeds" in header and "UKAS 12345 (ISO 15189)" in header
    assert page.evaluate("document.querySelectorAll('b, script').length") == 0
    src = page.evaluate("document.querySelector('header.top img.logo').src")
    assert src.startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('header.top img.logo').naturalWidth") == 40
    assert "UKAS 12345" in page.evaluate("document.querySelector('.signoff').innerText")


def test_default_report_has_no_letterhead():
    page = report_html.render_sample(detected(), genes.load("GRCh38"))
    assert 'class="lab"' not in page and "<img" not in page


def test_bad_logo_is_refused_naming_the_file(tmp_path, capsys):
    path = tmp_path / "d.json"
    path.write_text(json.dumps(detected("S_badlogo")))
    logo = tmp_path / "logo.gif"
    logo.write_bytes(b"GIF89a")
    args = ["report", str(path), "--outdir", str(tmp_path / "o"), "--no-pdf"]
    assert main([*args, "--lab-logo", str(logo)]) == 1
    assert f"{logo}: logo must be a PNG, JPEG or SVG file" in capsys.readouterr().err
    assert main([*args, "--lab-logo", str(tmp_path / "missing.png")]) == 1
    assert "missing.png: cannot read the logo" in capsys.readouterr().err
    assert not (tmp_path / "o" / "S_badlogo.report.html").exists()


def test_the_browser_checks_catch_a_leaking_page(tmp_path, browser):
    """The checks above are not vacuous: a page with a script and a remote image fails them."""
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><img src='http://127.0.0.1:9/x.png'>"
        "<script>console.error('ran')</script></body></html>"
    )
    page = browser.open(bad)
    assert any("ran" in p for p in page.console_problems())
    assert "http://127.0.0.1:9/x.png" in page.requests()


def test_report_states_design_tumour_content_cautions_and_unmatched_clips():
    doc = not_detected()
    doc["design"] = "amp"
    doc["sensitivity"].update(tumour_content=0.3, required_fraction=0.15, sides_assessed=["3p"])
    doc["filters_disabled"] = ["read_through"]
    doc["warnings"] = ["3 reads had a malformed tag, first: read r1 at chr17:5: SA entry 'x'"]
    doc["qc"].update(unmatched_soft_clips=7, unmatched_junction_clips=4,
                     molecule_identity="UMI (RX tag)")  # fmt: skip
    validate(doc)
    page = _visible_text(report_html.render_sample(doc, genes.load("GRCh38")))
    assert "Assay design anchored multiplex PCR" in page
    assert "Tumour content (pathologist) 30%" in page
    assert "Sides assessed 3' partner" in page
    assert "Fraction a negative must see 15.0%" in page
    assert "PCR copies told apart by UMI (RX tag)" in page
    assert "Reads soft-clipped by unknown sequence 7 (4 at a junction exon edge)" in page
    assert "Filter switched off by the configuration: read_through." in page
    assert "Warning: 3 reads had a malformed tag" in page
