"""Every scan result validates against the published JSON Schema."""

import json

from builders import BamBuilder, validate
from fusioncheck.output import write_result
from fusioncheck.scan import scan


def test_written_json_validates_and_tsv_has_one_row_per_fusion(tmp_path):
    b = BamBuilder()
    for i in range(3):
        b.add(f"p{i}", "chr17", 81_996_700 + i, "100M", mate=("chrX", 49_034_100, False))
    result = scan(b.write(tmp_path / "s.bam"), sample="s1", command="fusioncheck scan s.bam")
    json_path, tsv_path = write_result(result, tmp_path / "out")
    written = json.loads(json_path.read_text())
    validate(written)
    assert written == result
    rows = tsv_path.read_text().splitlines()
    assert len(rows) == 1 + len(result["fusions"])
    assert not list((tmp_path / "out").glob(".*tmp")), "temporary files left behind"
