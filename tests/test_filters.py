"""filters: each junction filter firing on a minimal observation, their declared order, switching
one off, read filters by SAM flag, and malformed tags counted under ``malformed_tag``."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from builders import BamBuilder
from fusioncheck import filters
from fusioncheck.clustering import orient
from fusioncheck.config import Thresholds
from fusioncheck.errors import UsageError
from fusioncheck.genes import load
from fusioncheck.model import Breakend, Junction, Observation
from fusioncheck.scan import scan

T = Thresholds()  # min_mapq 10, min_anchor 20
ASPSCR1_EX7 = Breakend("chr17", 81_996_846, "below")
TFE3_EX6 = Breakend("chrX", 49_034_251, "below")


def junction(sense: bool = True, read_through: bool = False, **facts: object) -> Junction:
    """A clean ASPSCR1 exon 7 -> TFE3 exon 6 split read, with ``facts`` changed."""
    o = Observation("frag", "mol", "soft_clip", ASPSCR1_EX7, TFE3_EX6, **facts)  # type: ignore[arg-type]
    return Junction(o, ASPSCR1_EX7, TFE3_EX6, "ASPSCR1", "TFE3", sense, read_through)


def first_filter(j: Junction, t: Thresholds = T) -> str | None:
    (out,) = filters.apply([j], t)
    return out.filter


#: For each junction filter, the smallest change to a clean observation that it removes.
FIRING = {
    "duplicates": junction(duplicate=True),
    "low_mapq": junction(mapq=9),
    "short_anchor": junction(anchor=19),
    "low_complexity": junction(junction_seq="A" * 24 + "C"),
    "homology": junction(placements=2),
    "orientation": junction(sense=False),
    "read_through": junction(read_through=True),
}


def test_the_declared_order():
    assert [f.name for f in filters.READ_FILTERS] == ["secondary", "qc_fail", "malformed_tag"]
    assert [f.name for f in filters.JUNCTION_FILTERS] == [
        "duplicates", "low_mapq", "short_anchor", "low_complexity", "homology", "orientation",
        "read_through",
    ]  # fmt: skip
    assert list(filters.FILTERS) == [
        "secondary", "qc_fail", "malformed_tag", "duplicates", "low_mapq", "short_anchor",
        "low_complexity", "homology", "orientation", "read_through",
    ]  # fmt: skip


def test_a_clean_observation_passes_every_filter():
    clean = junction(mapq=10, anchor=20, junction_seq="ACGTTGCAAGCTTCGAGGCTAACG")
    assert first_filter(clean) is None


@pytest.mark.parametrize("name", list(FIRING))
def test_each_junction_filter_fires_on_its_artefact_alone(name):
    assert first_filter(FIRING[name]) == name


@pytest.mark.parametrize("name", list(FIRING))
def test_a_disabled_filter_lets_its_artefact_through(name):
    t = replace(T, disabled_filters=(name,))
    assert first_filter(FIRING[name], t) is None


def test_the_own_gene_match_is_homology():
    assert first_filter(junction(own_gene=True)) == "homology"


def test_the_first_filter_in_order_is_the_one_recorded():
    everything = junction(
        sense=False, read_through=True, duplicate=True, mapq=0, anchor=5,
        junction_seq="AAAAAAAAAAAAAAAAAAAA", placements=3,
    )  # fmt: skip
    assert first_filter(everything) == "duplicates"
    t = replace(T, disabled_filters=("duplicates",))
    assert first_filter(everything, t) == "low_mapq"
    t = replace(T, disabled_filters=("duplicates", "low_mapq", "short_anchor"))
    assert first_filter(everything, t) == "low_complexity"
    assert first_filter(junction(anchor=19, sense=False)) == "short_anchor"
    assert first_filter(junction(placements=2, read_through=True)) == "homology"
    assert first_filter(junction(sense=False, read_through=True)) == "orientation"


def test_apply_marks_every_junction_and_drops_none():
    out = filters.apply([FIRING["low_mapq"], junction(), FIRING["orientation"]], T)
    assert [j.filter for j in out] == ["low_mapq", None, "orientation"]


def test_a_disabled_filter_lets_its_evidence_through_after_orientation():
    # moved from test_clustering: an oriented duplicate passes once duplicates is off
    o = Observation("d", "m-d", "SA", ASPSCR1_EX7, TFE3_EX6, duplicate=True)
    t = replace(T, disabled_filters=("duplicates",))
    j = orient(o, load("GRCh38"), ("ASPSCR1", "TFE3"), t)
    assert j is not None
    (out,) = filters.apply([j], t)
    assert out.filter is None


@pytest.mark.parametrize(
    ("seq", "low"),
    [
        ("", True),
        ("AAAAAAAAAAAAAAAAAAAAAAAC", True),  # homopolymer: 96 % one base
        ("ACACACACACACACACACACACAC", True),  # dinucleotide repeat
        ("aaaaaaaaaaaaaaaaaaaaaaac", True),  # case does not matter
        ("AAAAAACCCCCCAAAAAACCCCCC", True),  # two runs: 4 distinct dinucleotides
        ("AAAAAACCCCCCGGGGGGTTTTTT", False),  # four runs: 7 distinct dinucleotides
        ("ACGTTGCAAGCTTCGAGGCTAACG", False),
        ("AAAAAAAAAAAAAAACGTTGCATG", False),  # 67 % A: below 70 %
    ],
)
def test_low_complexity(seq, low):
    assert filters.is_low_complexity(seq) is low


def test_unknown_disabled_filter_is_a_usage_error_listing_the_known_ones():
    with pytest.raises(UsageError, match="unknown filter.*spelling.*known: secondary, qc_fail"):
        filters.check_disabled(replace(T, disabled_filters=("spelling",)))


def test_read_flag_mask():
    assert filters.read_flag_mask(T) == 0x300
    assert filters.read_flag_mask(replace(T, disabled_filters=("secondary",))) == 0x200
    assert filters.read_flag_mask(replace(T, disabled_filters=("secondary", "qc_fail"))) == 0


# --- through a scan, with reads stated by hand ------------------------------------------------

A_POS = 81_996_846 - 59  # 60 bases of ASPSCR1 ending at the exon 7 donor


def flagged_reads(b: BamBuilder) -> None:
    b.add("ok", "chr17", 81_996_000, "100M")
    for i in range(2):
        b.add(f"sec{i}", "chr17", 81_996_100 + i, "100M", flag=0x100)
    for i in range(3):
        b.add(f"qc{i}", "chr17", 81_996_200 + i, "100M", flag=0x200)


def test_read_filters_count_by_flag(tmp_path):
    b = BamBuilder()
    flagged_reads(b)
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert (result["filters"]["secondary"], result["filters"]["qc_fail"]) == (2, 3)
    assert result["qc"]["reads_in_windows"] == {"ASPSCR1": 1, "TFE3": 0}


def test_a_disabled_read_filter_lets_its_reads_in_and_is_reported(tmp_path):
    b = BamBuilder()
    flagged_reads(b)
    t = replace(T, disabled_filters=("qc_fail",))
    result = scan(b.write(tmp_path / "s.bam"), sample="s", thresholds=t)
    assert (result["filters"]["secondary"], result["filters"]["qc_fail"]) == (2, 0)
    assert result["qc"]["reads_in_windows"] == {"ASPSCR1": 4, "TFE3": 0}
    assert result["filters_disabled"] == ["qc_fail"]


def malformed_reads(b: BamBuilder) -> None:
    b.add("badsa", "chr17", A_POS, "60M40S", tags={"SA": "chrX,49034212,+,40M60H"})
    b.add(
        "badmc", "chr17", 81_996_500, "100M", mate=("chrX", 49_034_100, False),
        tags={"MC": "100Q"},
    )  # fmt: skip
    b.add("fine", "chr17", 81_996_600, "100M")


def test_malformed_sa_and_mc_tags_are_counted_under_malformed_tag(tmp_path):
    b = BamBuilder()
    malformed_reads(b)
    result = scan(b.write(tmp_path / "s.bam"), sample="s")
    assert result["filters"]["malformed_tag"] == 2
    assert result["warnings"] == [
        "2 reads had a malformed tag, first: read badmc at chr17:81996500: CIGAR '100Q'"
    ]
    assert result["fusions"] == []


def test_malformed_tags_give_a_result_and_no_traceback(tmp_path):
    b = BamBuilder()
    malformed_reads(b)
    bam = b.write(tmp_path / "s.bam")
    done = subprocess.run(
        [sys.executable, "-m", "fusioncheck", "scan", str(bam), "--sample", "s",
         "--outdir", str(tmp_path / "out")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "malformed tag" in done.stderr
    assert (tmp_path / "out" / "s.fusioncheck.json").exists()
