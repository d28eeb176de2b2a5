"""The optional interactive evidence page (``<sample>.igv.html``): written by igv-reports with
igv.js inlined, opened in real headless Chromium with the network switched off, where igv.js
must draw every read of the evidence BAM at both breakpoints of each record.

igv-reports and igv.js are required (``bash .ci/install.sh`` installs both): a missing one fails
these tests, it never skips them.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import Counter
from pathlib import Path

import pysam
import pytest

from builders import document, empty_bam
from fusioncheck.cli import main
from fusioncheck.errors import InputError
from fusioncheck.review import igv_html
from fusioncheck.review.igv_html import IgvHtmlError, check_offline, write_igv_html
from test_workflow import snakemake, write_workdir

#: What igv.js holds once drawn: per panel, its locus and the alignments in each evidence group.
JS_PANELS = """JSON.stringify(igvBrowser.findTracks(t => t.type === 'alignment')[0].trackView
  .viewports.map(v => {
    const f = v.featureCache.features
    return [v.referenceFrame.getLocusString(), Object.fromEntries(Array.from(
      f.packedGroups.entries(), ([k, g]) => [k, g.rows.reduce((n, r) => n + r.alignments.length, 0)]
    ))]
  }))"""
#: Per panel, pixels of the reads canvas drawn in colour (reads are coloured by record).
JS_COLOURED_PIXELS = """JSON.stringify(igvBrowser.findTracks(t => t.type === 'alignment')[0]
  .trackView.viewports.map(v => {
    const c = v.canvas, d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data
    let n = 0
    for (let i = 0; i < d.length; i += 4) {
      const rgb = [d[i], d[i + 1], d[i + 2]]
      if (d[i + 3] > 0 && Math.max(...rgb) - Math.min(...rgb) > 100) n++
    }
    return n
  }))"""
JS_DRAWN = (
    "typeof igvBrowser !== 'undefined' && igvBrowser.findTracks(t => t.type === 'alignment')"
    "[0].trackView.viewports.every(v => v.featureCache && !v.loading)"
)


@pytest.fixture(scope="module")
def positive(simulate_fixture, tmp_path_factory):
    """The simulator's default RNA positive (seed 1), scanned with its FASTA: the page."""
    sim = simulate_fixture()
    out = tmp_path_factory.mktemp("igv_html")
    args = ["scan", str(sim.bam), "--sample", "s", "--outdir", str(out)]
    assert main([*args, "--reference", str(sim.genome), "--evidence-bam"]) == 0
    json_path, bam = out / "s.fusioncheck.json", out / "evidence" / "s.evidence.bam"
    page = write_igv_html(json_path, bam, sim.genome, out / "evidence" / "s.igv.html")
    return {"sim": sim, "json": json_path, "bam": bam, "page": page}


def test_page_holds_igv_js_and_loads_nothing_from_outside(positive):
    text = positive["page"].read_text()
    igv_js = igv_html.igv_js_path().read_text()
    assert igv_js.split("\n//# sourceMappingURL")[0] in text  # the whole of igv.js, inline
    assert text.count("<script") == 2 and text.count("<script>") == 1  # both inline
    assert "cdn.jsdelivr" not in text.split("<script>")[0]
    assert "content=\"default-src 'none'; script-src 'unsafe-inline';" in text
    check_offline(text, positive["page"])
    assert "1:ASPSCR1::TFE3 (target), 10 molecules: 5 split, 5 spanning; passed" in text


def test_igv_js_draws_every_evidence_read_offline_in_chromium(positive, browser):
    page = browser.open(positive["page"], offline=True)
    page.wait_until(JS_DRAWN)
    assert page.console_problems() == []
    assert [u for u in page.requests() if not u.startswith(("data:", "blob:"))] == [page.url]
    panels = json.loads(str(page.evaluate(JS_PANELS)))
    assert panels == [
        ["chr17:81,996,696-81,996,995", {"spanning": 5, "split": 9}],
        ["chrX:49,034,101-49,034,400", {"spanning": 5, "split": 6}],
    ]
    with pysam.AlignmentFile(str(positive["bam"])) as bam:
        by_type = Counter(str(r.get_tag("fe")) for r in bam)
    assert by_type == {"split": 15, "spanning": 10}
    assert sum((Counter(groups) for _, groups in panels), Counter()) == by_type  # every read
    assert all(n > 1000 for n in json.loads(str(page.evaluate(JS_COLOURED_PIXELS))))
    rows = page.evaluate(
        "Array.from(document.querySelectorAll('#variant_table tr'), r => r.innerText)"
    )
    assert rows[1:] == [
        "chr17\t81996846\t81996846\tchrX\t49034251\t49034251\t"
        "1:ASPSCR1::TFE3 (target), 10 molecules: 5 split, 5 spanning; passed"
    ]


def test_sample_without_a_record_gets_a_page_saying_so(tmp_path):
    doc = document("neg", "NOT_DETECTED", [], call_reason="no ASPSCR1::TFE3 evidence")
    (tmp_path / "neg.fusioncheck.json").write_text(json.dumps(doc))
    out = write_igv_html(tmp_path / "neg.fusioncheck.json", tmp_path / "none.bam", None,
                         tmp_path / "neg.igv.html")  # fmt: skip
    text = out.read_text()
    assert "<script" not in text
    assert "No fusion record was reported, so there are no supporting reads to show." in text
    assert "Call: NOT_DETECTED (no ASPSCR1::TFE3 evidence)." in text


def test_missing_igv_js_names_the_install_command(positive, tmp_path, monkeypatch):
    monkeypatch.setenv("FUSIONCHECK_IGV_JS", str(tmp_path / "no-igv.min.js"))
    out = tmp_path / "s.igv.html"
    with pytest.raises(IgvHtmlError, match=r"igv\.js not found at .*npm ci --prefix resources/igv"):
        write_igv_html(positive["json"], positive["bam"], positive["sim"].genome, out)
    assert list(tmp_path.iterdir()) == []


def test_missing_igv_reports_names_the_pip_command(positive, tmp_path, monkeypatch):
    real = igv_html.importlib.util.find_spec
    monkeypatch.setattr(igv_html.importlib.util, "find_spec",
                        lambda name: None if name == "igv_reports" else real(name))  # fmt: skip
    with pytest.raises(IgvHtmlError, match="igv-reports is not installed: pip install igv-reports"):
        write_igv_html(positive["json"], positive["bam"], positive["sim"].genome,
                       tmp_path / "s.igv.html")  # fmt: skip


def test_record_without_a_fasta_is_an_error_naming_the_fix(positive, tmp_path):
    with pytest.raises(InputError, match="needs the genome FASTA.*sheet's reference column"):
        write_igv_html(positive["json"], positive["bam"], None, tmp_path / "s.igv.html")


def test_a_page_that_would_load_from_outside_is_refused(tmp_path):
    cdn = '<script src="https://cdn.jsdelivr.net/npm/igv@3.5.2/dist/igv.min.js"></script>'
    with pytest.raises(IgvHtmlError, match="it must be offline"):
        check_offline(f"<html><head>{cdn}</head></html>", tmp_path / "x.html")
    check_offline("<html><script>var u = '<img src=\"https://x\">'</script></html>", tmp_path)


def test_a_changed_igv_reports_template_is_an_error():
    with pytest.raises(IgvHtmlError, match="igv-reports' template has changed"):
        igv_html.inline_igv_js("<html><head></head><body></body></html>", "var igv", "t", "")


# --- the workflow -----------------------------------------------------------------------------


def test_workflow_writes_a_page_per_scanned_sample(simulate_fixture, tmp_path):
    sim = simulate_fixture()
    empty = empty_bam(tmp_path / "data" / "empty.bam")
    rows = [f"pos\t{sim.bam}\trna\t{sim.genome}\t", f"empty\t{empty}\trna\t\t"]
    root = write_workdir(tmp_path, rows, "report: false\nigv_html: true\n")
    snakemake(root)
    pos = (root / "results/evidence/pos.igv.html").read_text()
    assert "1:ASPSCR1::TFE3 (target), 10 molecules: 5 split, 5 spanning; passed" in pos
    assert igv_html.igv_js_path().read_text()[:2000] in pos
    empty_page = (root / "results/evidence/empty.igv.html").read_text()
    assert "No fusion record was reported" in empty_page and "<script" not in empty_page


def test_workflow_without_igv_js_stops_at_start_up(tmp_path):
    bam = empty_bam(tmp_path / "data" / "a.bam")
    root = write_workdir(tmp_path, [f"a\t{bam}\trna\t\t"], "igv_html: true\n")
    env = {**os.environ, "FUSIONCHECK_IGV_JS": str(tmp_path / "missing.js")}
    done = subprocess.run(
        ["python3", "-m", "snakemake", "--snakefile", str(Path(__file__).parent.parent /
         "workflow/Snakefile"), "--directory", str(root), "--cores", "1", "-n"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"igv.js not found at {tmp_path / 'missing.js'}" in done.stdout + done.stderr
    assert not (root / "results").exists()
