"""The bundled example, scanned as the workflow scans it, gives the committed results.

Each sample of ``.test/config/samples.tsv`` is simulated with the options ``.test/make_data.sh``
gives it and scanned with the sheet's assay, reference and build, both through the command
line.  The written ``<sample>.fusioncheck.json`` must equal ``tests/golden/<sample>.json`` byte
for byte, apart from ``run`` (times, host) and the checkout location in paths (``<example>``).

When a change is meant to change the results, regenerate and review the diff:
``FUSIONCHECK_UPDATE_GOLDEN=1 python3 -m pytest -q tests/test_golden.py`` (tests/golden/README.md).
"""

from __future__ import annotations

import csv
import json
import os
import re
import shlex
from pathlib import Path

import pytest

from fusioncheck.cli import main

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / ".test"
GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("FUSIONCHECK_UPDATE_GOLDEN") == "1"


def _make_data_options() -> dict[str, list[str]]:
    """``sim NAME OPTIONS`` lines of make_data.sh: the one place the example's data is defined."""
    lines = (EXAMPLE / "make_data.sh").read_text().splitlines()
    return {m[1]: shlex.split(m[2]) for line in lines if (m := re.match(r"^sim (\S+) (.*)$", line))}


def _sheet() -> list[dict[str, str]]:
    with open(EXAMPLE / "config" / "samples.tsv", newline="") as handle:
        rows = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(rows, delimiter="\t"))


SAMPLES = [row["sample"] for row in _sheet()]


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's data (as make_data.sh writes it) and its scans, in one directory."""
    root = tmp_path_factory.mktemp("example")
    options = _make_data_options()
    for row in _sheet():
        name = row["sample"]
        data = root / "data" / name
        assert main(["simulate", "--outdir", str(data), *options[name]]) == 0
        argv = ["scan", str(data / "sample.bam"), "--sample", name, "--outdir", str(root / "scan")]
        argv += ["--build", row["build"] or "auto", "--assay", row["assay"]]
        if row["reference"]:
            argv += ["--reference", str(data / Path(row["reference"]).name)]
        assert main(argv) == 0
    return root


def normalised(text: str, root: Path) -> str:
    """The document with ``run`` blanked and the example's location replaced."""
    for where in {str(root.resolve()), str(root)}:
        text = text.replace(where, "<example>")
    document = json.loads(text)
    document["run"] = {key: "<run>" for key in document["run"]}
    return json.dumps(document, indent=2) + "\n"


def test_the_example_has_the_samples_the_sheet_lists():
    assert SAMPLES == [
        "positive_rna", "negative_rna", "low_coverage_rna", "positive_dna", "amp_panel"
    ]  # fmt: skip
    assert sorted(_make_data_options()) == sorted(SAMPLES)


@pytest.mark.parametrize("sample", SAMPLES)
def test_the_example_gives_the_golden_result(example, sample):
    written = (example / "scan" / f"{sample}.fusioncheck.json").read_text()
    # Byte for byte: the file is exactly the canonical dump of its document ...
    assert json.dumps(json.loads(written), indent=2) + "\n" == written
    # ... and that document, run and location aside, is the golden one.
    got = normalised(written, example)
    golden = GOLDEN / f"{sample}.json"
    if UPDATE:
        golden.write_text(got)
    assert golden.exists(), f"no {golden}: run with FUSIONCHECK_UPDATE_GOLDEN=1 to create it"
    assert got == golden.read_text()


def test_the_golden_calls_are_the_ones_the_example_is_for():
    calls = {s: json.loads((GOLDEN / f"{s}.json").read_text())["call"] for s in SAMPLES}
    assert calls == {
        "positive_rna": "DETECTED",
        "negative_rna": "NOT_DETECTED",
        "low_coverage_rna": "INDETERMINATE",
        "positive_dna": "DETECTED",
        "amp_panel": "DETECTED",
    }
