"""Cohort summary and MultiQC table, from hand-written per-sample result documents."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

import builders
from fusioncheck.cli import main
from fusioncheck.cohort import MQC_COLUMNS, SUMMARY_COLUMNS, summary_row, write_cohort
from fusioncheck.errors import InputError


def fusion(kind: str = "target", passed: bool = True, **changes: object) -> dict:
    values: dict[str, object] = {
        "kind": kind, "passed": passed, "transcript_5p": "ENST00000306739",
        "transcript_3p": "ENST00000315869", "split_reads": 8, "spanning_pairs": 4,
        "supporting_fragments": 12, "supporting_reads": 12, "filters": {},
    }  # fmt: skip
    return builders.fusion(**{**values, **changes})


def result(sample: str, call: str = "DETECTED", fusions: list | None = None) -> dict:
    """A schema-valid result whose summary values the tests below state as literals."""
    doc = builders.document(
        sample, call, [fusion()] if fusions is None else fusions,
        call_reason="because\tof a tab",
    )  # fmt: skip
    doc["tfe3_imbalance"].update(status="not_assessed", ratio=None, fold=None)
    doc["sensitivity"].update(
        informative_fragments_5p=40, informative_fragments_3p=35.5,
        detectable_fraction=0.0612345, statement="",
    )  # fmt: skip
    doc["qc"].update(reads_in_windows={"ASPSCR1": 100, "TFE3": 50}, duplicate_rate=0.125)
    builders.validate(doc)
    return doc


def error_document(sample: str, kind: str, message: str, fix: str) -> dict:
    doc = {
        "schema_version": "1.1", "sample": sample, "call": "ERROR",
        "error": {"kind": kind, "message": message, "fix": fix},
        "tool": {"name": "fusioncheck", "version": "0.1.0"},
        "input": {"path": f"https://x/{sample}.bam", "reference": None},
        "command": f"fusioncheck scan-batch --sample {sample}",
        "run": {"started": "2026-12-01T10:00:00+00:00", "finished": "2026-12-01T10:00:01+00:00",
                "host": "node1"},
    }  # fmt: skip
    builders.validate(doc)
    return doc


def write_results(tmp_path: Path, *results: dict) -> list[Path]:
    paths = []
    for r in results:
        path = tmp_path / f"{r['sample']}.fusioncheck.json"
        path.write_text(json.dumps(r))
        paths.append(path)
    return paths


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def test_row_takes_the_passing_target_fusion_not_a_listed_one() -> None:
    doc = result(
        "A",
        fusions=[
            fusion(passed=False, breakpoint_3p="chrX:1"),
            fusion(kind="other_partner", five_prime_gene="PRCC"),
            fusion(supporting_fragments=12),
        ],
    )
    row = summary_row(doc)
    assert row["breakpoint_5p"] == "chr17:81996846"
    assert row["breakpoint_3p"] == "chrX:49034251"
    assert row["fusion"] == "ASPSCR1 ex7::TFE3 ex6"
    assert row["supporting_fragments"] == 12
    assert row["other_fusions"] == 1  # the passing PRCC record; the failed one is not counted
    assert row["reads_in_windows"] == 150


def test_negative_row_has_no_breakpoint() -> None:
    row = summary_row(result("N", call="NOT_DETECTED", fusions=[]))
    assert row["call"] == "NOT_DETECTED"
    assert row["breakpoint_5p"] is None and row["supporting_fragments"] is None


def test_summary_and_multiqc_files(tmp_path: Path) -> None:
    paths = write_results(
        tmp_path,
        result("b2", call="NOT_DETECTED", fusions=[]),
        result("a1"),
        result("c3", call="INDETERMINATE", fusions=[]),
    )
    out = tmp_path / "cohort"
    assert main(["cohort", *map(str, paths), "--outdir", str(out)]) == 0

    rows = read_tsv(out / "summary.tsv")
    assert [r["sample"] for r in rows] == ["a1", "b2", "c3"]  # sorted by sample
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    assert rows[0]["call"] == "DETECTED" and rows[0]["confidence"] == "high"
    assert rows[0]["split_reads"] == "8" and rows[0]["paired"] == "yes"
    assert rows[0]["detectable_fraction"] == "0.06123"
    assert rows[0]["call_reason"] == "because of a tab"  # no stray tab breaks the table
    assert rows[1]["breakpoint_5p"] == "." and rows[1]["confidence"] == "."

    mqc = (out / "fusioncheck_mqc.tsv").read_text()
    header = yaml.safe_load(
        "\n".join(line[2:] for line in mqc.splitlines() if line.startswith("# "))
    )
    assert header["plot_type"] == "table" and header["id"] == "fusioncheck"
    assert set(header["headers"]) == {c for c, _, _ in MQC_COLUMNS}
    table = read_tsv(out / "fusioncheck_mqc.tsv")
    assert [r["Sample"] for r in table] == ["a1", "b2", "c3"]
    assert [r["call"] for r in table] == ["DETECTED", "NOT_DETECTED", "INDETERMINATE"]


def test_from_file_list(tmp_path: Path) -> None:
    paths = write_results(tmp_path, result("x"), result("y"))
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{p}\n" for p in paths))
    assert main(["cohort", "--from-file", str(listing), "--outdir", str(tmp_path / "o")]) == 0
    assert len(read_tsv(tmp_path / "o" / "summary.tsv")) == 2


@pytest.mark.parametrize(
    "content, message",
    [("{not json", "not JSON"), ('{"x": 1}', "not a fusioncheck result")],
)
def test_bad_result_writes_nothing(tmp_path: Path, content: str, message: str) -> None:
    good = write_results(tmp_path, result("g"))
    bad = tmp_path / "bad.fusioncheck.json"
    bad.write_text(content)
    out = tmp_path / "cohort"
    with pytest.raises(InputError, match=message):
        write_cohort([*good, bad], out / "summary.tsv", out / "fusioncheck_mqc.tsv")
    assert not out.exists() or not any(out.iterdir())


def test_duplicate_sample_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    first = write_results(tmp_path, result("dup"))
    second = tmp_path / "other.json"
    second.write_text(json.dumps(result("dup")))
    assert main(["cohort", str(first[0]), str(second), "--outdir", str(tmp_path / "o")]) == 1
    assert "dup given more than once" in capsys.readouterr().err


def test_no_input_is_a_usage_error(tmp_path: Path) -> None:
    assert main(["cohort", "--outdir", str(tmp_path)]) == 2


def test_failed_sample_is_listed_with_its_error(tmp_path: Path) -> None:
    failed = error_document(
        "S9", "remote", "https://x/S9.bam: not found (HTTP 404). Check", "Check the URL"
    )
    paths = write_results(tmp_path, result("S1"), failed)
    out = tmp_path / "cohort"
    assert main(["cohort", *map(str, paths), "--outdir", str(out)]) == 0
    rows = {r["sample"]: r for r in read_tsv(out / "summary.tsv")}
    assert rows["S9"]["call"] == "ERROR"
    assert rows["S9"]["error_kind"] == "remote"
    assert rows["S9"]["error"] == "https://x/S9.bam: not found (HTTP 404). Check"
    assert rows["S9"]["fix"] == "Check the URL"
    assert rows["S9"]["breakpoint_5p"] == "." and rows["S9"]["reads_in_windows"] == "."
    assert rows["S1"]["error"] == "." and rows["S1"]["call"] == "DETECTED"
