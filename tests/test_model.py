"""model: the typed result goes out as JSON and comes back equal; a document that is not a
fusioncheck result is refused, naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from builders import BamBuilder
from fusioncheck.errors import InputError
from fusioncheck.model import SCHEMA_VERSION, ScanResult, load_result, to_dict, to_json
from fusioncheck.scan import Options, scan_result

A_POS, T_POS = 81_996_846 - 59, 49_034_251 - 39  # 60 bases of ASPSCR1 ex7, 40 of TFE3 ex6


@pytest.fixture(scope="module")
def detected(tmp_path_factory: pytest.TempPathFactory) -> ScanResult:
    """A typed result with a fusion record, a reciprocal block and sensitivity in it."""
    b = BamBuilder()
    for i in range(3):
        a, t, five, three = A_POS - i, T_POS + i, 60 + i, 40 - i
        b.add(
            f"s{i}",
            "chr17",
            a,
            f"{five}M{three}S",
            tags={"SA": f"chrX,{t},-,{three}M{five}H,60,0;"},
        )
        b.add(f"s{i}", "chrX", t, f"{three}M{five}H", reverse=True, flag=0x800,
              tags={"SA": f"chr17,{a},+,{five}M{three}S,60,0;"})  # fmt: skip
    b.add("p", "chr17", 81_996_700, "100M", mate=("chrX", 49_034_100, False))
    bam = b.write(tmp_path_factory.mktemp("model") / "s.bam")
    return scan_result(bam, "s", Options(tumour_content=0.4))


def test_the_result_round_trips_through_json_unchanged(detected, tmp_path):
    assert detected.call == "DETECTED" and detected.fusions
    path = tmp_path / "s.fusioncheck.json"
    path.write_text(to_json(detected))
    back = load_result(path)
    assert back == detected
    assert to_json(back) == to_json(detected)


def test_to_dict_keeps_declaration_order_and_plain_types(detected):
    d = to_dict(detected)
    assert list(d)[:6] == ["schema_version", "sample", "target", "assay", "design", "call"]
    assert d["schema_version"] == SCHEMA_VERSION == "1.1"
    assert isinstance(d["fusions"][0], dict) and isinstance(d["qc"]["exon_coverage"], dict)
    assert json.loads(json.dumps(d)) == d


def _broken(detected: ScanResult, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    d = to_dict(detected)
    change(d)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(d))
    return path


def test_a_wrong_call_is_refused_naming_the_field(detected, tmp_path):
    path = _broken(detected, tmp_path, lambda d: d.update(call="POSITIVE"))
    with pytest.raises(InputError, match=r"bad\.json: not a fusioncheck result \(call: 'POSITIVE'"):
        load_result(path)


def test_a_missing_field_is_refused_naming_it(detected, tmp_path):
    path = _broken(detected, tmp_path, lambda d: d.pop("sensitivity"))
    with pytest.raises(InputError, match=r"\(top level\): 'sensitivity' is a required property"):
        load_result(path)


def test_a_nested_field_of_the_wrong_type_is_named_by_its_path(detected, tmp_path):
    path = _broken(detected, tmp_path, lambda d: d["fusions"][0].update(split_reads="three"))
    with pytest.raises(InputError, match=r"fusions/0/split_reads: 'three' is not of type"):
        load_result(path)


def test_not_json_and_not_an_object_are_refused(tmp_path):
    (tmp_path / "a.json").write_text("{not json")
    with pytest.raises(InputError, match=r"a\.json: not JSON"):
        load_result(tmp_path / "a.json")
    (tmp_path / "b.json").write_text("[]")
    with pytest.raises(InputError, match=r"b\.json: not a fusioncheck result \(not a JSON object"):
        load_result(tmp_path / "b.json")
    with pytest.raises(InputError, match=r"missing\.json: cannot read"):
        load_result(tmp_path / "missing.json")
