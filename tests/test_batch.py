"""scan-batch: one process, many samples; a bad sample gets an ERROR record, the rest go on."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from builders import empty_bam
from fusioncheck.batch import split_fix
from fusioncheck.cli import main
from fusioncheck.scan import SCHEMA_VERSION

SCHEMA = json.loads(
    (Path(__file__).parent.parent / "src/fusioncheck/schemas/fusioncheck.schema.json").read_text()
)


@pytest.fixture(scope="module")
def cohort(simulate_fixture, tmp_path_factory) -> Path:
    """A sheet of a positive, a negative, a truncated BAM and a GRCh37 BAM declared GRCh38."""
    root = tmp_path_factory.mktemp("batch")
    positive = simulate_fixture()
    negative = simulate_fixture(fusion_fragments=0)
    old = simulate_fixture(build="GRCh37")
    truncated = root / "truncated.bam"
    truncated.write_bytes(positive.bam.read_bytes()[:-28_000])
    shutil.copy(f"{positive.bam}.bai", f"{truncated}.bai")
    rows = [
        f"pos\t{positive.bam}\trna\t{positive.genome}\t",
        f"broken\t{truncated}\trna\t\t",
        f"wrong_build\t{old.bam}\trna\t\tGRCh38",
        f"neg\t{negative.bam}\trna\t{negative.genome}\t",
    ]
    (root / "samples.tsv").write_text(
        "sample\tbam\tassay\treference\tbuild\n" + "\n".join(rows) + "\n"
    )
    return root


def test_bad_samples_get_error_records_and_the_rest_are_scanned(cohort: Path, capsys) -> None:
    out = cohort / "out"
    code = main(["scan-batch", "--sheet", str(cohort / "samples.tsv"), "--outdir", str(out)])
    assert code == 1
    printed = capsys.readouterr().out
    assert printed.splitlines()[-1] == "4 sample(s) scanned, 2 failed: broken, wrong_build"
    calls = {}
    for sample in ("pos", "broken", "wrong_build", "neg"):
        doc = json.loads((out / f"{sample}.fusioncheck.json").read_text())
        jsonschema.validate(doc, SCHEMA)
        calls[sample] = doc["call"]
    assert calls == {
        "pos": "DETECTED",
        "broken": "ERROR",
        "wrong_build": "ERROR",
        "neg": "NOT_DETECTED",
    }
    broken = json.loads((out / "broken.fusioncheck.json").read_text())
    assert broken["error"]["kind"] == "input"
    assert "truncated.bam" in broken["error"]["message"]
    assert "samtools quickcheck" in broken["error"]["fix"]
    wrong = json.loads((out / "wrong_build.fusioncheck.json").read_text())
    assert wrong["error"]["kind"] == "usage"
    assert wrong["error"]["fix"].startswith("Drop --build")
    # The TSV of a failed sample says ERROR: never an empty table that reads as "no fusion".
    tsv = (out / "broken.fusioncheck.tsv").read_text().splitlines()
    assert len(tsv) == 2 and tsv[1].split("\t")[:2] == ["broken", "ERROR"]


def test_results_equal_single_scans(cohort: Path, simulate_fixture) -> None:
    out = cohort / "single"
    positive = simulate_fixture()
    assert main(["scan", str(positive.bam), "--sample", "pos", "--outdir", str(out),
                 "--reference", str(positive.genome)]) == 0  # fmt: skip
    batch = cohort / "only_pos"
    sheet = str(cohort / "samples.tsv")
    assert main(["scan-batch", "--sheet", sheet, "--outdir", str(batch), "--sample", "pos"]) == 0
    one, many = (json.loads((d / "pos.fusioncheck.json").read_text()) for d in (out, batch))
    for doc in (one, many):
        doc.pop("run"), doc.pop("command")
    assert one == many
    assert one["input"]["bytes_read"] is None  # a local file: not counted
    assert sorted(p.name for p in batch.iterdir()) == [
        "pos.fusioncheck.json",
        "pos.fusioncheck.tsv",
    ]


def test_errors_ok_exits_zero_but_still_writes_the_record(cohort: Path) -> None:
    out = cohort / "ok"
    args = ["scan-batch", "--sheet", str(cohort / "samples.tsv"), "--outdir", str(out)]
    assert main([*args, "--sample", "broken", "--errors-ok"]) == 0
    assert json.loads((out / "broken.fusioncheck.json").read_text())["call"] == "ERROR"


def test_unknown_sample_is_a_usage_error(cohort: Path, capsys) -> None:
    args = ["scan-batch", "--sheet", str(cohort / "samples.tsv"), "--outdir", str(cohort)]
    assert main([*args, "--sample", "nobody"]) == 2
    assert "no sample(s) nobody" in capsys.readouterr().err


def test_unexpected_error_is_isolated_as_internal(cohort: Path, monkeypatch) -> None:
    import fusioncheck.batch as batch

    def explode(*args, **kwargs):
        raise KeyError("exon_9")

    monkeypatch.setattr(batch, "scan_with_support", explode)
    out = cohort / "internal"
    args = ["scan-batch", "--sheet", str(cohort / "samples.tsv"), "--outdir", str(out)]
    assert main([*args, "--sample", "pos", "--sample", "neg"]) == 1
    for sample in ("pos", "neg"):
        doc = json.loads((out / f"{sample}.fusioncheck.json").read_text())
        jsonschema.validate(doc, SCHEMA)
        assert doc["error"]["kind"] == "internal"
        assert doc["error"]["message"] == "KeyError: 'exon_9'"
        assert "bug" in doc["error"]["fix"]


@pytest.mark.parametrize(
    "message, fix",
    [
        ("x.bam: has no index (.bai). Run `samtools index x.bam`.", "Run `samtools index x.bam`."),
        ("x.cram: a CRAM needs its FASTA: pass it with --reference G.fa", "pass it with --reference G.fa"),  # noqa: E501
        ("x.bam: no such file", "Fix or replace this sample's input file as the message says, then run again."),  # noqa: E501
    ],
)  # fmt: skip
def test_fix_is_the_imperative_part_of_the_message(message: str, fix: str) -> None:
    assert split_fix(message, "input") == fix


def test_error_record_without_error_field_is_invalid() -> None:
    record = {
        "schema_version": SCHEMA_VERSION, "sample": "s", "call": "ERROR", "tool":
        {"name": "fusioncheck", "version": "1"}, "input": {"path": "x", "reference": None},
        "command": "", "run": {"started": "", "finished": "", "host": ""},
    }  # fmt: skip
    with pytest.raises(jsonschema.ValidationError, match="'error' is a required property"):
        jsonschema.validate(record, SCHEMA)
    record["error"] = {"kind": "input", "message": "m", "fix": "f"}
    jsonschema.validate(record, SCHEMA)


def test_header_only_bam_scans(tmp_path: Path) -> None:
    bam = empty_bam(tmp_path / "e.bam")
    (tmp_path / "s.tsv").write_text(f"sample\tbam\tassay\ne\t{bam}\trna\n")
    assert main(["scan-batch", "--sheet", str(tmp_path / "s.tsv"), "--outdir", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "e.fusioncheck.json").read_text())["call"] == "INDETERMINATE"


def test_cohort_page_lists_failed_samples_and_report_refuses_their_records(
    cohort: Path, capsys
) -> None:
    out = cohort / "for_page"
    main(["scan-batch", "--sheet", str(cohort / "samples.tsv"), "--outdir", str(out)])
    capsys.readouterr()
    results = [str(out / f"{s}.fusioncheck.json") for s in ("pos", "broken", "neg")]
    page = cohort / "cohort.html"
    assert main(["report", "--cohort", "--out", str(page), *results]) == 0
    html = page.read_text()
    assert '<td>broken</td><td><strong class="c-error">ERROR</strong></td>' in html
    assert "scan failed: " in html and "samtools quickcheck" in html
    # A failed sample has no report: refused with its own error, nothing written.
    code = main(["report", str(out / "broken.fusioncheck.json"), "--outdir", str(cohort / "r")])
    assert code == 1
    assert "has no result to report: its scan failed" in capsys.readouterr().err
    assert not (cohort / "r" / "broken.report.html").exists()
