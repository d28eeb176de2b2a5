"""The Snakemake workflow, run for real (`snakemake --cores 2` in a subprocess).

The main fixture is the bundled example itself: `.test/make_data.sh` generates its data with
`fusioncheck simulate` into a temporary directory, beside a copy of `.test/config/`, and the
workflow runs there once per session.  Sheet checking is tested on header-only BAMs.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import fields
from pathlib import Path

import jsonschema
import pytest
import yaml

from builders import empty_bam
from fusioncheck.config import Thresholds, as_dict
from fusioncheck.output import SAMPLE_ID
from fusioncheck.sheet import SheetError, read_sheet

REPO = Path(__file__).resolve().parent.parent
SNAKEFILE = REPO / "workflow" / "Snakefile"
SCHEMA = json.loads((REPO / "src/fusioncheck/schemas/fusioncheck.schema.json").read_text())
EXPECTED = {
    "positive_rna": "DETECTED",
    "negative_rna": "NOT_DETECTED",
    "low_coverage_rna": "INDETERMINATE",
    "positive_dna": "DETECTED",
    "amp_panel": "DETECTED",
}
#: The example's batches (batch_size 2, in sheet order): evidence is written per batch.
BATCH = {
    "positive_rna": "batch0001",
    "negative_rna": "batch0001",
    "low_coverage_rna": "batch0002",
    "positive_dna": "batch0002",
    "amp_panel": "batch0003",
}
PER_SAMPLE = (
    "results/scan/{}.fusioncheck.json",
    "results/scan/{}.fusioncheck.tsv",
    "results/report/{}.report.html",
    "results/report/{}.report.pdf",
    "results/report/{}.vcf",
    "logs/report/{}.log",
    "results/evidence/{batch}/{}.evidence.bam",
    "results/evidence/{batch}/{}.evidence.bam.bai",
    "results/evidence/{batch}/{}.igv.xml",
)


def snakemake(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
        "--directory", str(root), "--cores", "2", *args,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        pytest.fail(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def planned_jobs(root: Path) -> dict[str, int]:
    """Rule -> job count of a dry run (empty when there is nothing to do)."""
    done = snakemake(root, "-n", "--quiet", "rules")
    counts = {}
    for line in (done.stdout + done.stderr).splitlines():
        match = re.fullmatch(r"\s*(\w+)\s+(\d+)\s*", line)
        if match and match[1] != "total":
            counts[match[1]] = int(match[2])
    return counts


def read_tsv(path: Path) -> list[dict[str, str]]:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def write_workdir(root: Path, rows: list[str], config: str = "") -> Path:
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "config" / "samples.tsv").write_text(
        "\n".join(["sample\tbam\tassay\treference\tbuild", *rows]) + "\n"
    )
    (root / "config" / "config.yaml").write_text(
        "samples: config/samples.tsv\nthresholds: {}\n" + config
    )
    return root


# --- the bundled example, run once ------------------------------------------------------------


@pytest.fixture(scope="session")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example")
    shutil.copytree(REPO / ".test" / "config", root / "config")
    subprocess.run(
        ["bash", str(REPO / ".test" / "make_data.sh"), str(root / "data")],
        check=True,
        capture_output=True,
    )
    snakemake(root)
    return root


def test_every_output_exists_and_nothing_temporary_is_left(example: Path) -> None:
    for sample in EXPECTED:
        for pattern in PER_SAMPLE:
            path = example / pattern.format(sample, batch=BATCH[sample])
            assert path.is_file() and path.stat().st_size > 0, path
    for path in (
        "results/thresholds.yaml",
        "results/cohort/summary.tsv",
        "results/cohort/fusioncheck_mqc.tsv",
        "results/cohort/cohort.html",
        "logs/cohort/cohort.log",
        "logs/cohort_report/cohort_report.log",
        "logs/benchmarks/cohort/cohort.tsv",
        "results/cohort/failed_samples.tsv",
        # .test/config has batch_size 2: the five samples are scanned by three jobs.
        "logs/scan/batch0001.log",
        "logs/scan/batch0002.log",
        "logs/scan/batch0003.log",
    ):
        assert (example / path).is_file(), path
    # Snakemake marks a directory output complete with its own timestamp file.
    leftovers = [
        p
        for p in (example / "results").rglob("*")
        if p.name.startswith(".") and p.name != ".snakemake_timestamp"
    ]
    assert leftovers == []


def test_each_sample_gets_its_expected_call(example: Path) -> None:
    for sample, call in EXPECTED.items():
        result = json.loads((example / f"results/scan/{sample}.fusioncheck.json").read_text())
        jsonschema.validate(result, SCHEMA, cls=jsonschema.Draft202012Validator)
        assert result["sample"] == sample
        assert result["call"] == call, (sample, result["call_reason"])
        tsv = (example / f"results/scan/{sample}.fusioncheck.tsv").read_text().splitlines()
        assert tsv[0].startswith("sample\tcall")
    dna = json.loads((example / "results/scan/positive_dna.fusioncheck.json").read_text())
    assert dna["assay"] == "dna" and dna["build"] == "GRCh37"


def test_samples_are_scanned_in_batches_of_sheet_order(example: Path) -> None:
    batches = {}
    for sample in EXPECTED:
        command = json.loads((example / f"results/scan/{sample}.fusioncheck.json").read_text())[
            "command"
        ]
        assert command.startswith("fusioncheck scan-batch --sheet config/samples.tsv")
        batches[sample] = re.findall(r"--sample (\S+)", command)
    pair1, pair2 = ["positive_rna", "negative_rna"], ["low_coverage_rna", "positive_dna"]
    assert batches == {"positive_rna": pair1, "negative_rna": pair1,
                       "low_coverage_rna": pair2, "positive_dna": pair2,
                       "amp_panel": ["amp_panel"]}  # fmt: skip
    assert (example / "results/cohort/failed_samples.tsv").read_text() == (
        "sample\terror_kind\terror\tfix\n"
    )


def test_scan_gets_the_thresholds_section(example: Path) -> None:
    written = yaml.safe_load((example / "results/thresholds.yaml").read_text())
    assert set(written) == {"thresholds"}
    result = json.loads((example / "results/scan/positive_rna.fusioncheck.json").read_text())
    assert result["thresholds"]["min_support"] == Thresholds().min_support
    assert "--config" in result["command"]


def test_cohort_summary_has_one_row_per_sample(example: Path) -> None:
    rows = {r["sample"]: r for r in read_tsv(example / "results/cohort/summary.tsv")}
    assert {s: r["call"] for s, r in rows.items()} == EXPECTED
    positive = rows["positive_rna"]
    assert positive["breakpoint_5p"].startswith("chr17:")
    assert positive["breakpoint_3p"].startswith("chrX:")
    assert int(positive["supporting_fragments"]) >= Thresholds().min_support
    assert positive["confidence"] in {"high", "medium", "low"}
    assert rows["negative_rna"]["breakpoint_5p"] == "."
    assert int(rows["negative_rna"]["reads_in_windows"]) > 0
    mqc = read_tsv(example / "results/cohort/fusioncheck_mqc.tsv")
    assert {r["Sample"]: r["call"] for r in mqc} == EXPECTED


def test_reports_render_the_results(example: Path) -> None:
    for sample, call in EXPECTED.items():
        html = (example / f"results/report/{sample}.report.html").read_text()
        assert sample in html and call.replace("_", " ") in html.replace("_", " ")
        assert (example / f"results/report/{sample}.report.pdf").read_bytes()[:5] == b"%PDF-"
        assert (example / f"results/report/{sample}.vcf").read_text().startswith("##fileformat=VCF")
    cohort = (example / "results/cohort/cohort.html").read_text()
    assert all(f"{sample}.report.html" in cohort for sample in EXPECTED)


def test_positive_samples_get_the_evidence_a_reviewer_opens(example: Path) -> None:
    """Evidence BAM (agreeing with samtools), IGV session naming files that exist, junction
    sequence from the FASTA, and the reads drawn in the report."""
    from xml.etree import ElementTree as ET

    for sample in ("positive_rna", "positive_dna"):
        result = json.loads((example / f"results/scan/{sample}.fusioncheck.json").read_text())
        (fusion,) = result["fusions"]
        assert fusion["junction_sequence_source"] == "reference"
        assert [len(p) for p in fusion["junction_sequence"].split("|")] == [50, 50]
        bam = example / f"results/evidence/{BATCH[sample]}/{sample}.evidence.bam"
        assert subprocess.run(["samtools", "quickcheck", str(bam)]).returncode == 0
        count = subprocess.run(["samtools", "view", "-c", str(bam)], capture_output=True, text=True)
        assert int(count.stdout) == 25  # 10 molecules: 5 split (3 records each), 5 pairs (2)
        session = example / f"results/evidence/{BATCH[sample]}/{sample}.igv.xml"
        paths = [r.get("path") for r in ET.parse(session).getroot().iter("Resource")]
        assert all((session.parent / p).is_file() for p in paths)
        html = (example / f"results/report/{sample}.report.html").read_text()
        assert "10 of 10 supporting molecules from the evidence BAM" in html
    negative = example / "results/evidence/batch0001/negative_rna.evidence.bam"
    assert subprocess.run(["samtools", "view", "-c", str(negative)], capture_output=True,
                          text=True).stdout.strip() == "0"  # fmt: skip


def test_benchmark_files_are_readable(example: Path) -> None:
    for batch in ("batch0001", "batch0002"):
        bench = read_tsv(example / f"logs/benchmarks/scan/{batch}.tsv")[0]
        assert float(bench["s"]) >= 0 and "max_rss" in bench


def test_rerun_does_nothing(example: Path) -> None:
    assert planned_jobs(example) == {}


def test_deleting_one_result_redoes_its_batch_only(example: Path) -> None:
    target = example / "results/scan/negative_rna.fusioncheck.json"
    partner = example / "results/scan/positive_rna.fusioncheck.json"  # same batch
    others = {s: example / f"results/scan/{s}.fusioncheck.json" for s in EXPECTED}
    before = {s: p.stat().st_mtime_ns for s, p in others.items() if p not in (target, partner)}
    target.unlink()
    # Its batch partner is re-scanned too, so both reports are redone.
    assert planned_jobs(example) == {
        "scan_batch0001": 1, "report": 2, "cohort": 1, "cohort_report": 1, "failures": 1, "all": 1
    }  # fmt: skip
    snakemake(example)
    assert target.is_file() and partner.is_file()
    after = {s: p.stat().st_mtime_ns for s, p in others.items() if p not in (target, partner)}
    assert after == before
    assert planned_jobs(example) == {}


def test_appending_a_sample_rescans_only_the_last_batch(tmp_path: Path) -> None:
    bams = [empty_bam(tmp_path / "data" / f"{n}.bam") for n in "abcd"]
    rows = [f"{n}\t{b}\trna\t\t" for n, b in zip("abcd", bams)]
    settings = "report: false\nbatch_size: 2\n"
    root = write_workdir(tmp_path, rows[:3], settings)
    snakemake(root)
    first = {n: (root / f"results/scan/{n}.fusioncheck.json").stat().st_mtime_ns for n in "ab"}
    write_workdir(tmp_path, rows, settings)
    # c and the new d are batch0002; batch0001 (a, b) is untouched.
    assert planned_jobs(root) == {"scan_batch0002": 1, "cohort": 1, "failures": 1, "all": 1}
    snakemake(root)
    assert {
        n: (root / f"results/scan/{n}.fusioncheck.json").stat().st_mtime_ns for n in "ab"
    } == first
    assert (
        json.loads((root / "results/scan/d.fusioncheck.json").read_text())["call"]
        == "INDETERMINATE"
    )


# --- the sample sheet -------------------------------------------------------------------------


def test_sheet_paths_resolve_against_the_sheet(tmp_path: Path) -> None:
    empty_bam(tmp_path / "data" / "a.bam")
    (tmp_path / "sheets").mkdir()
    sheet = tmp_path / "sheets" / "s.tsv"
    sheet.write_text("sample\tbam\tassay\nA\t../data/a.bam\trna\n")
    other = tmp_path / "elsewhere"
    other.mkdir()
    cwd = Path.cwd()
    os.chdir(other)
    try:
        [sample] = read_sheet(sheet)
    finally:
        os.chdir(cwd)
    assert sample.bam == tmp_path / "data" / "a.bam"
    assert sample.build == "auto" and sample.reference is None


def test_broken_sheet_lists_every_bad_row(tmp_path: Path) -> None:
    bam = empty_bam(tmp_path / "a.bam")
    unindexed = tmp_path / "u.bam"
    shutil.copy(bam, unindexed)
    sheet = tmp_path / "s.tsv"
    rows = [
        "sample\tbam\tassay\tbuild",
        f"good\t{bam}\trna\t",  # line 2
        f"good\t{bam}\tdna\t",  # 3: duplicate
        f"../x\t{bam}\trna\t",  # 4: path in the ID
        f"my sample\t{bam}\trna\t",  # 5: space
        f"<script>\t{bam}\trna\t",  # 6: markup
        "missing\tnone.bam\trna\t",  # 7: no such file
        f"wrong_assay\t{bam}\tprotein\t",  # 8
        f"wrong_build\t{bam}\trna\thg19",  # 9
        f"noindex\t{unindexed}\trna\t",  # 10
        f"-dash\t{bam}\trna\t",  # 11: would be read as an option
    ]
    sheet.write_text("\n".join(rows) + "\n")
    with pytest.raises(SheetError) as caught:
        read_sheet(sheet)
    message = str(caught.value)
    assert "9 bad row(s)" in message
    for line in range(3, 12):
        assert f"line {line}:" in message
    assert "line 2:" not in message
    needles = ["already used on line 2", "'../x'", "'my sample'", "'<script>'", "'-dash'"]
    needles += ["does not exist", "'protein'", "'hg19'", "samtools index"]
    for needle in needles:
        assert needle in message


@pytest.mark.parametrize(
    "header, needle",
    [
        ("sample\tbam\tassay\tnotes", "unknown column(s) 'notes'"),
        ("sample\tbam", "missing column(s) assay"),
        ("sample,bam,assay", "tab-separated"),
    ],
)
def test_bad_header(tmp_path: Path, header: str, needle: str) -> None:
    sheet = tmp_path / "s.tsv"
    sheet.write_text(header + "\n")
    with pytest.raises(SheetError, match=re.escape(needle)):
        read_sheet(sheet)


def test_cram_needs_a_reference(tmp_path: Path) -> None:
    cram = tmp_path / "a.cram"
    cram.write_bytes(b"")
    (tmp_path / "a.cram.crai").write_bytes(b"")
    sheet = tmp_path / "s.tsv"
    sheet.write_text(f"sample\tbam\tassay\nc\t{cram}\trna\n")
    with pytest.raises(SheetError, match="give its genome FASTA"):
        read_sheet(sheet)


def test_check_sheet_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from fusioncheck.cli import main

    bam = empty_bam(tmp_path / "a.bam")
    sheet = tmp_path / "s.tsv"
    sheet.write_text(f"sample\tbam\tassay\nok\t{bam}\trna\nbad id\t{bam}\tdna\n")
    assert main(["check-sheet", str(sheet)]) == 1
    assert "line 3: sample 'bad id'" in capsys.readouterr().err
    sheet.write_text(f"sample\tbam\tassay\nok\t{bam}\trna\n")
    out = tmp_path / "found.json"
    assert main(["check-sheet", str(sheet), "--inspect", "--out", str(out)]) == 0
    [found] = json.loads(out.read_text())
    assert found["build"] == "GRCh38" and found["contig_style"] == "chr"


def test_broken_sheet_stops_the_workflow_before_any_job(tmp_path: Path) -> None:
    bam = empty_bam(tmp_path / "data" / "a.bam")
    root = write_workdir(tmp_path, [f"ok\t{bam}\trna\t\t", f"../evil\t{bam}\trna\t\t"])
    done = snakemake(root, check=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "1 bad row(s)" in output and "'../evil'" in output
    assert not (root / "results").exists()


def test_unmapped_tail_without_a_fasta_stops_at_start_up(tmp_path: Path) -> None:
    bam = empty_bam(tmp_path / "data" / "a.bam")
    root = write_workdir(tmp_path, [f"no_fasta\t{bam}\trna\t\t"], "unmapped_tail: true\n")
    done = snakemake(root, check=False)
    assert done.returncode != 0
    assert "unmapped_tail: true needs a genome FASTA" in done.stdout + done.stderr
    assert "no_fasta" in done.stdout + done.stderr
    assert not (root / "results").exists()


def bad_cohort(tmp_path: Path, config: str = "") -> Path:
    good = empty_bam(tmp_path / "data" / "good.bam")
    bad = tmp_path / "data" / "bad.bam"
    bad.write_bytes(b"this is not a BAM file")
    shutil.copy(f"{good}.bai", f"{bad}.bai")
    return write_workdir(tmp_path, [f"good\t{good}\trna\t\t", f"bad\t{bad}\trna\t\t"], config)


def test_a_bad_bam_costs_only_its_own_sample_and_fails_the_run(tmp_path: Path) -> None:
    root = bad_cohort(tmp_path, "report: true\nreport_pdf: false\n")
    done = snakemake(root, check=False)
    assert done.returncode != 0
    assert "1 sample(s) failed: bad." in done.stdout + done.stderr
    good = json.loads((root / "results/scan/good.fusioncheck.json").read_text())
    bad = json.loads((root / "results/scan/bad.fusioncheck.json").read_text())
    assert good["call"] == "INDETERMINATE" and bad["call"] == "ERROR"
    jsonschema.validate(bad, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert "samtools quickcheck" in bad["error"]["fix"]
    # The summary lists it with its error; the good sample has its report, the bad none.
    rows = {r["sample"]: r for r in read_tsv(root / "results/cohort/summary.tsv")}
    assert rows["bad"]["call"] == "ERROR" and rows["bad"]["error_kind"] == "input"
    assert rows["bad"]["error"].startswith(f"{root / 'data/bad.bam'}: not a readable BAM")
    assert (root / "results/report/good.report.html").is_file()
    assert not (root / "results/report/bad.report.html").exists()
    assert not (root / "results/cohort/failed_samples.tsv").exists()  # the gate failed
    assert snakemake(root, "-n", check=False).returncode == 0  # and is planned again


def test_continue_on_error_ends_zero_and_lists_the_failure(tmp_path: Path) -> None:
    root = bad_cohort(tmp_path, "report: false\ncontinue_on_error: true\n")
    snakemake(root)
    failed = read_tsv(root / "results/cohort/failed_samples.tsv")
    assert [(r["sample"], r["error_kind"]) for r in failed] == [("bad", "input")]


# --- lint, format, schemas, CI ----------------------------------------------------------------


def test_snakemake_lint_is_clean(tmp_path: Path) -> None:
    bam = empty_bam(tmp_path / "data" / "a.bam")
    root = write_workdir(tmp_path, [f"a\t{bam}\trna\t\t"], config="report: true\n")
    done = snakemake(root, "--lint", check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Lints for" not in output


def test_snakefmt_is_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "snakefmt", "--check", str(REPO / "workflow")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_schemas_agree_with_the_code() -> None:
    samples = yaml.safe_load((REPO / "workflow/schemas/samples.schema.yaml").read_text())
    assert samples["properties"]["sample"]["pattern"] == SAMPLE_ID.pattern
    config = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    thresholds = config["properties"]["thresholds"]["properties"]
    defaults = as_dict(Thresholds())
    assert set(thresholds) == {f.name for f in fields(Thresholds)}, (
        "config.schema.yaml's thresholds must list every field of fusioncheck.config.Thresholds"
    )
    for name, spec in thresholds.items():
        assert spec["default"] == defaults[name], name
    for name, spec in config["properties"].items():
        assert "description" in spec and ("default" in spec or name == "samples"), name


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", readme, flags=re.S)
    setup, tests = blocks[0].strip(), blocks[1].strip()
    assert "\n" not in setup and "\n" not in tests
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert any(line.strip().startswith(tests) for line in ci), tests


def test_killed_run_restarts_and_leaves_no_partial_result(example: Path, tmp_path: Path) -> None:
    """SIGKILL the whole workflow while scans run, then start it again: it completes, and at no
    point is a result file there that is not a complete, valid result."""
    root = tmp_path / "killed"
    shutil.copytree(example / "config", root / "config")
    (root / "data").symlink_to(example / "data")
    command = [
        sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE),
        "--directory", str(root), "--cores", "2",
    ]  # fmt: skip
    run = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not list((root / "logs" / "scan").glob("*.log")):
            assert run.poll() is None, "the workflow ended before any scan started"
            assert time.monotonic() < deadline, "no scan started within 2 minutes"
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    for result in (root / "results").rglob("*.fusioncheck.json"):
        jsonschema.validate(json.loads(result.read_text()), SCHEMA)
    assert not (root / "results" / "cohort" / "summary.tsv").exists()

    # A killed Snakemake leaves its lock (docs/troubleshooting.md): unlock, then run again;
    # the default profile's rerun-incomplete redoes the jobs that were cut off.
    snakemake(root, "--unlock")
    snakemake(root)
    for sample in EXPECTED:
        got = json.loads((root / f"results/scan/{sample}.fusioncheck.json").read_text())
        want = json.loads((example / f"results/scan/{sample}.fusioncheck.json").read_text())
        for doc in (got, want):
            (
                doc.pop("run"),
                doc.pop("command"),
                doc["input"].pop("path"),
                doc["input"].pop("reference"),
            )
        assert got == want
    assert planned_jobs(root) == {}
