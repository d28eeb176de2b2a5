"""Targeted panels (issue 18) with real aligners: anchored multiplex PCR, one-partner capture
(RNA and DNA), PCR copies and UMIs, FFPE, single-end, stranded, low fusion fraction, deep
negatives, BWA-MEM on RNA.  Libraries come from ``fusioncheck simulate``; STAR and BWA-MEM
align them (:mod:`aligners`, each library once per session).  Each test states its call.

The fast tests at the end use the simulator's own BAMs (no aligner): one per rule, and the
bad inputs that must stop a scan before it can read as a negative.
"""

from __future__ import annotations

from pathlib import Path

import pysam
import pytest

from aligners import Aligners
from builders import header, validate
from fusioncheck.errors import InputError, UsageError
from fusioncheck.molecules import MoleculeKeys, count
from fusioncheck.scan import scan

EX7_EX6 = ("chr17:81996846", "chrX:49034251")  # ASPSCR1 exon 7 end, TFE3 exon 6 start (GRCh38)

AMP = dict(design="amp", umi="rx", pcr_copies=3)
CAPTURE = dict(design="rna_capture")


@pytest.fixture(scope="session")
def aligners(tmp_path_factory: pytest.TempPathFactory) -> Aligners:
    return Aligners(tmp_path_factory.mktemp("aligned"))


def called(bam: Path, sim, **options) -> dict:
    out = scan(bam, sample="panel", reference=sim.genome, **options)
    validate(out)
    return out


def target_records(out: dict) -> list[dict]:
    return [f for f in out["fusions"] if f["kind"] == "target"]


def the_target(out: dict) -> dict:
    (fusion,) = target_records(out)
    return fusion


# --- anchored multiplex PCR (BWA-MEM, UMIs in RX) ---------------------------------------------


@pytest.fixture(scope="module")
def amp_positive(simulate_fixture):
    return simulate_fixture(**AMP, background=100.0, fusion_fragments=10, seed=41)


def test_anchored_pcr_positive(amp_positive, aligners):
    out = called(aligners.bwa(amp_positive), amp_positive, assay="amp")
    assert (out["call"], out["confidence"], out["design"]) == ("DETECTED", "high", "amp")
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == EX7_EX6
    assert (fusion["exon_5p"], fusion["exon_3p"], fusion["reading_frame"]) == (7, 6, "in-frame")
    # 10 molecules sequenced 3 times each: support is molecules, reads are reported beside.
    assert (fusion["split_reads"], fusion["supporting_reads"]) == (10, 30)
    assert out["qc"]["molecule_identity"] == "UMI (RX or MI tag)"
    assert out["reciprocal"]["status"] == "not_assessed"  # primers in TFE3 cannot reach it


def test_bwa_mem_shared_base_is_placed_on_the_exon_boundaries(simulate_fixture, aligners):
    """The base after ASPSCR1 exon 7 equals the base before TFE3 exon 6, so BWA-MEM aligns it
    to both parts of every junction read (no read places the join on the boundaries); the
    join is reported on the exon boundaries."""
    sim = simulate_fixture(fusion_fragments=8, background=100.0, seed=53)
    bam = aligners.bwa(sim)
    with pysam.AlignmentFile(str(bam)) as f:
        five = {
            r.reference_end for r in f.fetch("chr17", 81996700, 81996900)
            if r.has_tag("SA") and "chrX" in str(r.get_tag("SA"))
        }  # fmt: skip
        three = {
            r.reference_end for r in f.fetch("chrX", 49034200, 49034300)
            if r.has_tag("SA") and "chr17" in str(r.get_tag("SA"))
        }  # fmt: skip
    assert (five, three) == ({81996846}, {49034252})  # the TFE3 part claims the shared base
    out = called(bam, sim, assay="wts")
    assert (out["call"], out["confidence"]) == ("DETECTED", "high")
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == EX7_EX6
    assert (fusion["exon_5p"], fusion["exon_3p"], fusion["canonical"]) == (7, 6, True)


def test_anchored_pcr_negative(simulate_fixture, aligners):
    sim = simulate_fixture(**AMP, background=100.0, fusion_fragments=0, seed=42)
    out = called(aligners.bwa(sim), sim, assay="amp")
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    # ASPSCR1 is never primed: only the TFE3 side decides the negative.
    assert out["sensitivity"]["sides_assessed"] == ["3p"]
    assert out["sensitivity"]["informative_fragments_5p"] == 0
    assert out["fusions"] == []


def test_genome_with_a_copy_of_tfe3_exon_6_cannot_call_it(amp_positive, aligners):
    """With the fixture's processed-pseudogene copy of TFE3 exon 6 in the reference, every
    anchored-PCR read of an ex7::ex6 fusion has its TFE3 part in the copied exon: BWA-MEM gives
    it MAPQ 0-3.  Multi-mappers stay filtered (low_mapq), and the sample is INDETERMINATE, never
    NOT_DETECTED."""
    out = called(aligners.bwa(amp_positive, copy=True), amp_positive, assay="amp")
    assert out["call"] == "INDETERMINATE"
    assert out["filters"]["low_mapq"] > 100
    assert "multi-mapping" in out["call_reason"]


def test_umi_trap_two_molecules_copied_forty_times_is_not_detected(simulate_fixture, aligners):
    sim = simulate_fixture(
        design="amp", umi="rx", pcr_copies=40, umi_error_rate=0.05, fusion_fragments=2,
        background=10.0, seed=43,
    )  # fmt: skip
    out = called(aligners.bwa(sim), sim, assay="amp")
    assert out["call"] == "INDETERMINATE", out["call_reason"]
    fusion = the_target(out)
    # 80 read pairs, UMIs with sequencing errors among the copies: still 2 molecules.
    assert (fusion["split_reads"], fusion["supporting_reads"], fusion["passed"]) == (2, 80, False)
    assert "2 molecules (3 needed)" in out["call_reason"]


def test_three_percent_fusion_fraction_at_high_depth_is_detected(simulate_fixture, aligners):
    # 300 molecules per primer, 9 of them fusion molecules from the exon 6 primer: 3 %.
    sim = simulate_fixture(design="amp", umi="rx", background=300.0, fusion_fragments=9, seed=44)
    out = called(aligners.bwa(sim), sim, assay="amp")
    assert out["call"] == "DETECTED", out["call_reason"]
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"], fusion["split_reads"]) == (
        *EX7_EX6,
        9,
    )


# --- hybrid capture baiting TFE3 only (RNA with STAR, DNA with BWA-MEM) -----------------------


def test_tfe3_only_rna_capture_positive(simulate_fixture, aligners):
    sim = simulate_fixture(**CAPTURE, background=100.0, fusion_fragments=10, seed=45)
    out = called(aligners.star(sim), sim, assay="rna_capture")
    assert (out["call"], out["design"]) == ("DETECTED", "rna_capture")
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == EX7_EX6


@pytest.fixture(scope="module")
def rna_capture_negative(simulate_fixture, aligners):
    sim = simulate_fixture(**CAPTURE, background=400.0, fusion_fragments=0, seed=46)
    return aligners.star(sim), sim


def test_tfe3_only_rna_capture_negative(rna_capture_negative):
    out = called(*rna_capture_negative)  # design inferred: ASPSCR1 has next to no coverage
    assert (out["call"], out["design"]) == ("NOT_DETECTED", "rna_capture"), out["call_reason"]
    assert out["sensitivity"]["sides_assessed"] == ["3p"]
    assert out["sensitivity"]["informative_fragments_5p"] < 5


def test_tumour_content_raises_the_bar_for_a_negative(rna_capture_negative):
    """The same negative at 10 % tumour content: a fusion then sits at about 5 % of transcripts,
    below what this depth could see, so the negative cannot be called."""
    out = called(*rna_capture_negative, tumour_content=0.1)
    assert out["call"] == "INDETERMINATE", out["call_reason"]
    assert out["sensitivity"]["required_fraction"] == 0.05
    assert out["sensitivity"]["detectable_fraction"] > 0.05
    assert called(*rna_capture_negative, tumour_content=0.6)["call"] == "NOT_DETECTED"


def test_tfe3_only_dna_capture_positive(simulate_fixture, aligners):
    sim = simulate_fixture(design="dna_capture", background=60.0, seed=47)
    out = called(aligners.bwa(sim), sim)
    assert (out["call"], out["design"]) == ("DETECTED", "dna_capture")
    fusion = the_target(out)
    truth = sim.load_truth()["fusions"][0]
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == (
        truth["breakpoint_5p"],
        truth["breakpoint_3p"],
    )
    assert (fusion["intron_5p"], fusion["intron_3p"], fusion["exon_3p"]) == (7, 5, 6)


def test_tfe3_only_dna_capture_negative(simulate_fixture, aligners):
    sim = simulate_fixture(design="dna_capture", background=60.0, fusion_fragments=0, seed=48)
    out = called(aligners.bwa(sim), sim)
    assert (out["call"], out["design"]) == ("NOT_DETECTED", "dna_capture"), out["call_reason"]
    assert out["sensitivity"]["sides_assessed"] == ["3p"]


# --- assay conditions (STAR) ------------------------------------------------------------------


def test_ffpe_positive_at_six_molecules(simulate_fixture, aligners):
    sim = simulate_fixture(ffpe=True, fusion_fragments=6, background=100.0, seed=49)
    out = called(aligners.star(sim), sim)
    assert out["call"] == "DETECTED", out["call_reason"]
    assert (the_target(out)["breakpoint_5p"], the_target(out)["breakpoint_3p"]) == EX7_EX6


def test_single_end_positive(simulate_fixture, aligners):
    sim = simulate_fixture(single_end=True, fusion_fragments=8, background=100.0, seed=50)
    out = called(aligners.star(sim), sim)
    assert (out["call"], out["qc"]["paired"]) == ("DETECTED", False)
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == EX7_EX6
    assert fusion["spanning_pairs"] == 0


def test_stranded_positive_with_read_name_umis(simulate_fixture, aligners):
    sim = simulate_fixture(
        stranded=True, umi="name", pcr_copies=2, fusion_fragments=8, background=100.0, seed=51
    )
    out = called(aligners.star(sim), sim, umi="name")
    assert out["call"] == "DETECTED", out["call_reason"]
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == EX7_EX6
    assert fusion["supporting_reads"] == 2 * fusion["supporting_fragments"]
    assert out["qc"]["molecule_identity"] == "UMI (read name)"


# --- deep negatives: noise chimeras, BWA-MEM splices ------------------------------------------


@pytest.fixture(scope="module")
def deep_negative(simulate_fixture):
    return simulate_fixture(fusion_fragments=0, background=400.0, intronic_chimeras=6, seed=52)


def test_deep_negative_with_intronic_chimeras_is_not_detected(deep_negative, aligners):
    out = called(aligners.star(deep_negative), deep_negative)
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    for fusion in target_records(out):  # listed as noise, never deciding
        assert (fusion["canonical"], fusion["passed"], fusion["exon_5p"]) == (False, False, None)


def test_bwa_mem_rna_negative_splices_are_not_fusion_evidence(deep_negative, aligners):
    """BWA-MEM writes every ASPSCR1 and TFE3 splice as a clip or an SA record."""
    bam = aligners.bwa(deep_negative)
    with pysam.AlignmentFile(str(bam)) as f:
        split = sum(1 for r in f.fetch("chrX", 49028000, 49044000) if r.has_tag("SA"))
    assert split > 200
    out = called(bam, deep_negative)  # auto: RNA from the split reads joining exons
    assert (out["call"], out["design"]) == ("NOT_DETECTED", "wts"), out["call_reason"]
    assert [f for f in out["fusions"] if f["canonical"] or f["kind"] != "target"] == []
    assert out["qc"]["unmatched_junction_clips"] == 0
    assert out["filters"]["homology"] == 0


# --- fast: the rules on the simulator's own BAMs ----------------------------------------------


def test_amp_design_assesses_the_primed_side_only(simulate_fixture):
    sim = simulate_fixture(**AMP, background=100.0, fusion_fragments=0, seed=60)
    amp = scan(sim.bam, sample="s", reference=sim.genome, assay="amp")
    assert (amp["call"], amp["sensitivity"]["sides_assessed"]) == ("NOT_DETECTED", ["3p"])
    # Called as whole transcriptome, the unprimed ASPSCR1 side makes it INDETERMINATE.
    wts = scan(sim.bam, sample="s", reference=sim.genome, assay="wts")
    assert (wts["call"], wts["sensitivity"]["sides_assessed"]) == ("INDETERMINATE", ["5p", "3p"])


def test_auto_tells_bwa_mem_rna_from_dna_by_its_split_splices(simulate_fixture):
    rna = simulate_fixture(aligner="bwa", fusion_fragments=0, background=100.0, seed=66)
    with pysam.AlignmentFile(str(rna.bam)) as f:
        assert not any("N" in (r.cigarstring or "") for r in f)  # no spliced alignment at all
    assert scan(rna.bam, sample="s", reference=rna.genome)["design"] == "wts"
    dna = simulate_fixture(design="dna_capture", background=20.0, fusion_fragments=3, seed=67)
    assert scan(dna.bam, sample="s", reference=dna.genome)["design"] == "dna_capture"


def bed(path: Path, *rows: str) -> Path:
    path.write_text("".join(row + "\n" for row in rows))
    return path


def test_targets_bed_decides_the_covered_side(simulate_fixture, tmp_path):
    sim = simulate_fixture(**CAPTURE, background=400.0, fusion_fragments=0, aligner="hisat2",
                           seed=61)  # fmt: skip
    tfe3 = bed(tmp_path / "tfe3.bed", "chrX\t49028730\t49043486\tTFE3")
    out = scan(sim.bam, sample="s", reference=sim.genome, assay="rna_capture", targets=tfe3)
    assert (out["call"], out["sensitivity"]["sides_assessed"]) == ("NOT_DETECTED", ["3p"])
    both = bed(tmp_path / "both.bed", "chr17\t81977549\t82017406", "chrX\t49028730\t49043486")
    out = scan(sim.bam, sample="s", reference=sim.genome, assay="rna_capture", targets=both)
    assert (out["call"], out["sensitivity"]["sides_assessed"]) == ("INDETERMINATE", ["5p", "3p"])


def test_pcr_copies_without_umis_collapse_by_outer_ends(simulate_fixture):
    sim = simulate_fixture(design="amp", pcr_copies=5, fusion_fragments=4, background=20.0,
                           seed=62)  # fmt: skip
    out = scan(sim.bam, sample="s", reference=sim.genome, assay="amp")
    fusion = the_target(out)
    assert (fusion["supporting_fragments"], fusion["supporting_reads"]) == (4, 20)
    assert out["qc"]["molecule_identity"] == "outer read ends (no UMI)"


def test_umis_one_substitution_apart_are_one_molecule():
    keys = ["umi:AACCGGTT"] * 30 + ["umi:AACCGGTA"] + ["umi:TTGGCCAA"] * 5
    assert count(keys, 1) == 2
    assert count(keys, 0) == 3
    assert count(["pos:1:100:False", "pos:1:101:False"], 1) == 2  # ends are never merged


def _record(header: pysam.AlignmentHeader, name: str, chrom: str, pos: int, flag: int,
            tags: dict[str, str]) -> pysam.AlignedSegment:  # fmt: skip
    r = pysam.AlignedSegment(header)
    r.query_name, r.flag, r.cigarstring = name, flag, "50M"
    r.reference_id, r.reference_start = header.get_tid(chrom), pos - 1
    r.next_reference_id, r.next_reference_start = header.get_tid("chr17"), 81996500
    r.query_sequence = "ACGT" * 12 + "AC"
    for key, value in tags.items():
        r.set_tag(key, value)
    return r


def test_both_parts_of_a_split_read_are_one_molecule_without_umis():
    hdr = pysam.AlignmentHeader.from_dict(header())
    primary = _record(hdr, "f1", "chr17", 81996797, 0x1 | 0x20 | 0x40,
                      {"SA": "chrX,49034203,+,50S50M,60,0;"})  # fmt: skip
    supplementary = _record(hdr, "f1", "chrX", 49034203, 0x1 | 0x20 | 0x40 | 0x800,
                            {"SA": "chr17,81996797,+,50M50S,60,0;"})  # fmt: skip
    keys = MoleculeKeys("auto")
    assert keys.key(supplementary) == keys.key(primary) == "pos:1:81996500:True|1:81996796:False"


@pytest.mark.parametrize(
    ("name", "umi"),
    [("frag_ACGTACGT", "umi:ACGTACGT"), ("frag_ACGT-TTGA", "umi:ACGT-TTGA"), ("run_0001", None)],
)
def test_a_read_name_umi_must_be_bases(name, umi):
    hdr = pysam.AlignmentHeader.from_dict(header())
    read = _record(hdr, name, "chr17", 81996797, 0x1 | 0x20 | 0x40, {})
    key = MoleculeKeys("name").key(read)
    assert key == umi if umi else key.startswith("pos:")


def test_lone_intronic_chimera_is_listed_but_one_canonical_molecule_blocks(simulate_fixture):
    noise = simulate_fixture(fusion_fragments=0, background=400.0, intronic_chimeras=1,
                             aligner="star_chimeric", seed=63)  # fmt: skip
    out = scan(noise.bam, sample="s", reference=noise.genome)
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    assert "consistent with background chimeras" in out["call_reason"]
    one = simulate_fixture(fusion_fragments=1, background=400.0, seed=64)
    out = scan(one.bam, sample="s", reference=one.genome)
    assert out["call"] == "INDETERMINATE"
    assert "below the detection threshold" in out["call_reason"]


# --- fast: bad input is an error before any result --------------------------------------------


@pytest.fixture(scope="module")
def small(simulate_fixture):
    return simulate_fixture(**AMP, fusion_fragments=3, background=5.0, seed=65)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["chr1\t1000000\t1001000"], "no interval overlaps ASPSCR1 or TFE3 in GRCh38; pass the "
                                     "panel's own BED"),
        (["chrX\t48886241\t48901012"], "overlaps them in GRCh37: lift it over to GRCh38"),
        (["X\t49028730\t49043486"], "contig 'X' is named in the other style than the BAM "
                                    "(chr17); rename the BED's contigs"),
        (["chrX\t49028730"], "line 1: not a BED line"),
    ],
)  # fmt: skip
def test_bad_targets_bed_is_an_error_naming_the_file_and_the_fix(small, tmp_path, rows, message):
    path = bed(tmp_path / "panel.bed", *rows)
    with pytest.raises(InputError) as err:
        scan(small.bam, sample="s", reference=small.genome, assay="amp", targets=path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


@pytest.mark.parametrize("mode", ["MI", "name"])
def test_requested_umi_absent_from_every_read_is_an_error(small, mode):
    # The library carries RX only: no MI tags, no UMI after the read name.
    with pytest.raises(InputError) as err:
        scan(small.bam, sample="s", reference=small.genome, assay="amp", umi=mode)
    text = str(err.value)
    assert str(small.bam) in text
    assert f"(umi: {mode})" in text and "set umi: auto" in text


@pytest.mark.parametrize("value", [0.0, -0.2, 1.5, 30.0])
def test_tumour_content_outside_0_1_is_an_error(small, value):
    with pytest.raises(UsageError) as err:
        scan(small.bam, sample="s", reference=small.genome, tumour_content=value)
    assert f"tumour_content {value}" in str(err.value)
    assert "at most 1 (e.g. 0.3 for 30 %)" in str(err.value)
