"""Bad input: a clear error naming the file and the fix, exit 1, and no result left behind.

Inputs that can be read but cannot exclude the fusion give INDETERMINATE, never NOT_DETECTED.
"""

import json
import subprocess
import sys

import pysam
import pytest

from builders import BamBuilder, header, to_cram
from fusioncheck.errors import InputError, OutputError, UsageError
from fusioncheck.output import write_result
from fusioncheck.scan import scan


@pytest.fixture
def bam(tmp_path):
    b = BamBuilder()
    for i in range(3000):
        b.add(f"r{i}", "chr17", 81_980_000 + 5 * i, "100M")
        b.add(f"t{i}", "chrX", 49_029_000 + 4 * i, "100M", reverse=True)
    return b.write(tmp_path / "good.bam")


def run_cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "fusioncheck", *map(str, args)], capture_output=True, text=True
    )


def assert_refused(tmp_path, path, *words, code=1, extra=()):
    out = tmp_path / "out"
    proc = run_cli("scan", path, "--sample", "s", "--outdir", out, *extra)
    assert proc.returncode == code, proc.stderr
    assert str(path) in proc.stderr or "--build" in proc.stderr
    for word in words:
        assert word in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (out / "s.fusioncheck.json").exists()


def test_truncated_bam(tmp_path, bam):
    cut = tmp_path / "cut.bam"
    cut.write_bytes(bam.read_bytes()[: bam.stat().st_size // 2])
    assert_refused(tmp_path, cut, "truncated")


def test_corrupt_block_inside_the_windows(tmp_path, bam):
    data = bytearray(bam.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 64] = bytes(64)
    bad = tmp_path / "corrupt.bam"
    bad.write_bytes(bytes(data))
    pysam.index(str(bam), str(bad) + ".bai")  # an index that looks right
    assert_refused(tmp_path, bad, "corrupt")


def test_random_bytes_named_bam(tmp_path):
    junk = tmp_path / "junk.bam"
    junk.write_bytes(bytes(range(256)) * 40)
    assert_refused(tmp_path, junk, "not a readable BAM")


def test_missing_file(tmp_path):
    assert_refused(tmp_path, tmp_path / "nope.bam", "no such file")


def test_unindexed(tmp_path, bam):
    bam.with_suffix(".bam.bai").unlink()
    assert_refused(tmp_path, bam, "samtools index")


def test_unsorted(tmp_path):
    hdr = pysam.AlignmentHeader.from_dict(header(sort_order="unsorted"))
    path = tmp_path / "unsorted.bam"
    with pysam.AlignmentFile(str(path), "wb", header=hdr):
        pass
    assert_refused(tmp_path, path, "samtools sort")


def test_header_without_chr17_or_x(tmp_path):
    hdr = pysam.AlignmentHeader.from_dict(
        {"HD": {"SO": "coordinate"}, "SQ": [{"SN": "chr1", "LN": 248_956_422}]}
    )
    path = tmp_path / "nochr17.bam"
    with pysam.AlignmentFile(str(path), "wb", header=hdr):
        pass
    pysam.index(str(path))
    assert_refused(tmp_path, path, "no chromosome 17 and X")


def test_unknown_build(tmp_path):
    hdr = pysam.AlignmentHeader.from_dict(
        {"HD": {"SO": "coordinate"}, "SQ": [{"SN": "chr17", "LN": 100}, {"SN": "chrX", "LN": 200}]}
    )
    path = tmp_path / "odd.bam"
    with pysam.AlignmentFile(str(path), "wb", header=hdr):
        pass
    pysam.index(str(path))
    assert_refused(tmp_path, path, "match neither GRCh38 nor GRCh37", "--build")


def test_build_contradicting_the_header_is_a_usage_error(tmp_path, bam):
    assert_refused(tmp_path, bam, "contradicts", code=2, extra=("--build", "GRCh37"))


def test_reference_with_other_contigs(tmp_path, bam):
    fasta = tmp_path / "small.fa"
    fasta.write_text(">chr17\n" + "ACGT" * 25 + "\n>chrX\n" + "ACGT" * 25 + "\n")
    pysam.faidx(str(fasta))
    assert_refused(tmp_path, bam, "contig chr17", extra=("--reference", fasta))


def test_header_only_bam_is_indeterminate(tmp_path):
    path = BamBuilder().write(tmp_path / "empty.bam")
    result = scan(path, sample="s")
    assert result["call"] == "INDETERMINATE"


def test_thin_coverage_is_indeterminate_not_negative(tmp_path):
    b = BamBuilder()
    for i in range(10):
        b.add(f"r{i}", "chr17", 81_996_780 + i, "60M")
        b.add(f"t{i}", "chrX", 49_034_200, "50M", reverse=True)
    result = scan(b.write(tmp_path / "thin.bam"), sample="s")
    assert result["call"] == "INDETERMINATE"
    fraction = result["sensitivity"]["detectable_fraction"]
    assert fraction is None or fraction > 0.1


def test_output_directory_not_writable(tmp_path, bam):
    result = scan(bam, sample="s")
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("")
    with pytest.raises(OutputError, match="cannot write"):
        write_result(result, blocked / "out")


def test_disk_full_leaves_no_result(tmp_path, bam):
    """A real full file system: a 64 KiB tmpfs (needs root, as CI runs)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], check=True)
    try:
        (mount / "filler").write_bytes(b"\0" * 60_000)
        result = scan(bam, sample="s")
        result["call_reason"] = "x" * 200_000  # larger than what is left
        with pytest.raises(OutputError, match="nothing was kept"):
            write_result(result, mount)
        assert sorted(p.name for p in mount.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_same_input_twice_gives_the_same_json_apart_from_run_metadata(tmp_path, bam):
    a, b = (scan(bam, sample="s") for _ in range(2))
    a.pop("run"), b.pop("run")
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def test_plain_and_chr_contig_names_give_the_same_call(tmp_path):
    calls = []
    for style in ("chr", "plain"):
        b = BamBuilder(style=style)
        for i in range(5):
            b.add(f"p{i}", "chr17", 81_996_700 + i, "100M", mate=("chrX", 49_034_100, False))
        calls.append(scan(b.write(tmp_path / f"{style}.bam"), sample="s")["call"])
    assert calls[0] == calls[1]


def test_errors_are_typed(tmp_path, bam):
    with pytest.raises(InputError):
        scan(tmp_path / "missing.bam", sample="s")
    with pytest.raises(UsageError):
        scan(bam, sample="s", build="hg19")


def test_cram_without_reference(tmp_path, simulate_fixture):
    sim = simulate_fixture(fusion_fragments=3)
    cram = to_cram(sim.bam, sim.genome, tmp_path / "s.cram")
    assert_refused(tmp_path, cram, "--reference")


def test_unmapped_tail_without_reference_is_a_usage_error(tmp_path, bam):
    proc = run_cli("scan", bam, "--sample", "s", "--outdir", tmp_path / "o", "--unmapped-tail")
    assert proc.returncode == 2
    assert "--reference" in proc.stderr
