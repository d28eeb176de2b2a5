"""Evidence from hand-stated alignments: SA splits, mates, filters, and input checks."""

import pytest

from builders import BamBuilder
from fusioncheck.errors import InputError, UsageError
from fusioncheck.scan import scan

# GRCh38: ASPSCR1 exon 7 ends at chr17:81,996,846; TFE3 exon 6 starts (minus strand) at
# chrX:49,034,251.  A read across the junction: 60 bases of ASPSCR1 forward, then 40 bases of
# TFE3 that align to chrX reverse.
A_POS, T_POS = 81_996_846 - 59, 49_034_251 - 39


def add_split(b: BamBuilder, name: str, flag: int = 0, mapq: int = 60, shift: int = 0) -> None:
    """A read across the junction; ``shift`` moves the read (not the junction) ``shift`` bases
    into ASPSCR1, so reads with different shifts are different molecules."""
    chr17, chrx = b.chrom("chr17"), b.chrom("chrX")
    a, t, five, three = A_POS - shift, T_POS + shift, 60 + shift, 40 - shift
    b.add(
        name, "chr17", a, f"{five}M{three}S", flag=flag,
        tags={"SA": f"{chrx},{t},-,{three}M{five}H,{mapq},0;"},
    )  # fmt: skip
    b.add(
        name, "chrX", t, f"{three}M{five}H", reverse=True, flag=0x800 | flag, mapq=mapq,
        tags={"SA": f"{chr17},{a},+,{five}M{three}S,60,0;"},
    )  # fmt: skip


def add_spanning(b: BamBuilder, name: str) -> None:
    b.add(name, "chr17", 81_996_700, "100M", mate=("chrX", 49_034_100, False))
    b.add(name, "chrX", 49_034_100, "100M", mate=("chr17", 81_996_700, False), read1=False)


@pytest.mark.parametrize("style", ["chr", "plain"])
def test_split_reads_and_pairs_give_the_exact_junction(tmp_path, style):
    b = BamBuilder(style=style)
    for i in range(3):
        add_split(b, f"split{i}", shift=i)
    add_spanning(b, "pair0")
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert result["call"] == "DETECTED"
    (f,) = [f for f in result["fusions"] if f["kind"] == "target"]
    prefix = "chr" if style == "chr" else ""
    assert f["breakpoint_5p"] == f"{prefix}17:81996846"
    assert f["breakpoint_3p"] == f"{prefix}X:49034251"
    assert (f["exon_5p"], f["exon_3p"], f["reading_frame"]) == (7, 6, "in-frame")
    assert (f["split_reads"], f["spanning_pairs"]) == (3, 1)
    assert f["type_label"] == "type 1"


def test_duplicates_and_low_mapq_are_counted_not_used(tmp_path):
    b = BamBuilder()
    for i in range(3):
        add_split(b, f"dup{i}", flag=0x400)
    for i in range(2):
        add_split(b, f"mm{i}", mapq=3)
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert result["call"] != "DETECTED"
    assert result["filters"]["duplicates"] == 3
    assert result["filters"]["low_mapq"] == 2


def test_a_fragment_counts_once_however_many_records_show_it(tmp_path):
    b = BamBuilder()
    for i in range(2):
        add_split(b, f"f{i}", shift=i)
        # the same fragment's mate, in TFE3: also a cross-chromosome pair
        b.add(f"f{i}", "chrX", 49_034_000, "100M", mate=("chr17", A_POS, False), read1=False)
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    (f,) = [f for f in result["fusions"] if f["kind"] == "target"]
    assert (f["split_reads"], f["spanning_pairs"], f["supporting_fragments"]) == (2, 0, 2)
    assert result["call"] == "INDETERMINATE"  # 2 < min_support: not enough, not negative


def test_no_reads_in_windows_is_indeterminate(tmp_path):
    b = BamBuilder()
    b.add("elsewhere", "chr1", 1_000_000, "100M")
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert result["call"] == "INDETERMINATE"
    assert "no reads" in result["call_reason"]


def test_unindexed_bam_says_samtools_index(tmp_path):
    b = BamBuilder()
    add_split(b, "x")
    path = b.write(tmp_path / "s.bam", index=False)
    with pytest.raises(InputError, match="samtools index"):
        scan(path, sample="s")


def test_build_is_detected_and_a_contradicting_build_is_refused(tmp_path):
    b = BamBuilder(build="GRCh37")
    b.add("r", "chr17", 79_954_700, "100M")
    path = b.write(tmp_path / "s.bam")
    assert scan(path, sample="s")["build"] == "GRCh37"
    with pytest.raises(UsageError, match="contradicts the header"):
        scan(path, sample="s", build="GRCh38")


def test_unsafe_sample_id_is_refused(tmp_path):
    b = BamBuilder()
    b.add("r", "chr17", 81_996_700, "100M")
    with pytest.raises(UsageError, match="not a safe ID"):
        scan(b.write(tmp_path / "s.bam"), sample="../x")


def test_detected_with_too_little_coverage_leaves_the_reciprocal_not_assessed(tmp_path):
    """Issue 13 case 4: three junction reads and nothing else make a call, but could never
    have shown a reciprocal: it is not assessed, never 'absent'."""
    b = BamBuilder()
    for i in range(3):
        add_split(b, f"split{i}", shift=i)
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert result["call"] == "DETECTED"
    assert result["sensitivity"]["detectable_fraction"] is None
    assert result["reciprocal"]["status"] == "not_assessed"
    assert result["reciprocal"]["statement"] == (
        "Reciprocal TFE3::ASPSCR1 not assessed: the junction regions lacked the coverage to "
        "show it. This argues neither for nor against any diagnosis."
    )
