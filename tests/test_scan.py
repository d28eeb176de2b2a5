"""``scan`` on simulated controls: every aligner style, both builds, both contig styles.

Each positive is checked against the simulator's truth: the exact breakpoints, exons, frame,
and the split / spanning counts (what the BAM shows, duplicates excluded).
"""

from __future__ import annotations

import json

import pytest

from builders import to_cram, validate
from fusioncheck.scan import scan

RNA_STYLES = ("star_chimeric", "star", "hisat2")


def run(result, **kw):
    out = scan(result.bam, sample="s", reference=result.genome, **kw)
    validate(out)
    return out, result.load_truth()


def target(out):
    found = [f for f in out["fusions"] if f["kind"] == "target" and f["passed"]]
    assert len(found) <= 1
    return found[0] if found else None


def assert_matches_truth(fusion, truth_fusion):
    for key in ("breakpoint_5p", "breakpoint_3p", "exon_5p", "exon_3p", "reading_frame"):
        assert fusion[key] == truth_fusion[key], key
    assert fusion["split_reads"] == truth_fusion["split_fragments"]
    assert fusion["spanning_pairs"] == truth_fusion["spanning_fragments"]


# --- positives --------------------------------------------------------------------------------


@pytest.mark.parametrize("aligner", RNA_STYLES)
@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
@pytest.mark.parametrize("exon3", [4, 5, 6])
def test_rna_positive_with_three_fragments(simulate_fixture, aligner, build, exon3):
    style = "plain" if (aligner == "star") == (build == "GRCh38") else "chr"
    # Fragments alternate split / spanning; STAR's default output drops cross-chromosome
    # pairs, so it needs five fragments to show three.
    n = 5 if aligner == "star" else 3
    sim = simulate_fixture(
        aligner=aligner, build=build, contig_style=style, junction=(7, exon3), fusion_fragments=n
    )
    out, truth = run(sim)
    assert out["call"] == "DETECTED", out["call_reason"]
    assert (out["build"], out["contig_style"], out["assay"]) == (build, style, "rna")
    fusion = target(out)
    assert_matches_truth(fusion, truth["fusions"][0])
    assert fusion["supporting_fragments"] == 3
    assert fusion["type_label"] == {6: "type 1", 5: "type 2"}.get(exon3)
    assert fusion["fusion_protein"].startswith("M")


@pytest.mark.parametrize("aligner", RNA_STYLES)
def test_rna_positive_with_ten_fragments_is_high_confidence(simulate_fixture, aligner):
    out, truth = run(simulate_fixture(aligner=aligner, fusion_fragments=10))
    assert (out["call"], out["confidence"]) == ("DETECTED", "high")
    assert_matches_truth(target(out), truth["fusions"][0])


@pytest.mark.parametrize("build", ["GRCh38", "GRCh37"])
@pytest.mark.parametrize("introns", [(7, 3), (7, 4), (7, 5)])
def test_dna_intron_to_intron_break(simulate_fixture, build, introns):
    sim = simulate_fixture(
        assay="dna",
        build=build,
        junction=introns,
        contig_style="plain" if introns[1] == 4 else "chr",
    )
    out, truth = run(sim)
    assert (out["call"], out["assay"]) == ("DETECTED", "dna")
    fusion = target(out)
    assert_matches_truth(fusion, truth["fusions"][0])
    assert (fusion["intron_5p"], fusion["intron_3p"]) == introns
    assert (fusion["exon_5p"], fusion["exon_3p"]) == (7, introns[1] + 1)


def test_dna_with_three_fragments(simulate_fixture):
    out, truth = run(simulate_fixture(assay="dna", fusion_fragments=3))
    assert out["call"] == "DETECTED"
    assert_matches_truth(target(out), truth["fusions"][0])


def test_fusion_protein_joins_aspscr1_to_tfe3_in_frame(simulate_fixture):
    out, _ = run(simulate_fixture(junction=(7, 6)))
    protein = target(out)["fusion_protein"]
    # ASPSCR1 c.1-933 (311 codons) then TFE3 from c.886 to its stop: 575 - 295 = 280 codons.
    assert len(protein) == 311 + (575 - 295)


def test_duplicates_are_removed_and_counted(simulate_fixture):
    out, truth = run(simulate_fixture(duplicate_rate=0.3, fusion_fragments=6))
    fusion = target(out)
    assert_matches_truth(fusion, truth["fusions"][0])
    assert fusion["filters"].get("duplicates", 0) > 0


def test_base_errors_do_not_move_the_breakpoint(simulate_fixture):
    for aligner in ("star", "star_chimeric"):
        out, truth = run(simulate_fixture(aligner=aligner, base_error_rate=0.01))
        assert_matches_truth(target(out), truth["fusions"][0])


# --- negatives and artefacts ------------------------------------------------------------------


@pytest.mark.parametrize("aligner", RNA_STYLES)
def test_both_genes_expressed_without_fusion_is_not_detected(simulate_fixture, aligner):
    out, truth = run(simulate_fixture(aligner=aligner, fusion_fragments=0))
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    assert out["sensitivity"]["detectable_fraction"] <= 0.10
    assert "95% probability" in out["sensitivity"]["statement"]


def test_dna_negative_is_not_detected(simulate_fixture):
    out, _ = run(simulate_fixture(assay="dna", fusion_fragments=0, background=100.0))
    assert out["call"] == "NOT_DETECTED", out["call_reason"]


@pytest.mark.parametrize("partner", ["PRCC", "SFPQ", "NONO"])
def test_other_tfe3_partner_is_named_and_never_aspscr1(simulate_fixture, partner):
    sim = simulate_fixture(
        five_prime=partner,
        fusion_fragments=8,
        junction=(1, 4) if partner == "PRCC" else (6, 2) if partner == "SFPQ" else (9, 6),
    )
    out, truth = run(sim)
    assert out["call"] != "DETECTED"
    assert target(out) is None
    (other,) = [f for f in out["fusions"] if f["kind"] == "other_partner" and f["passed"]]
    assert (other["five_prime_gene"], other["three_prime_gene"]) == (partner, "TFE3")
    assert_matches_truth(other, truth["fusions"][0])


def test_tfe3_break_to_an_unannotated_locus_reports_the_locus(simulate_fixture):
    out, truth = run(simulate_fixture(five_prime="chr1:120000000", fusion_fragments=6))
    (other,) = [f for f in out["fusions"] if f["kind"] == "other_partner" and f["passed"]]
    assert other["five_prime_gene"] == other["breakpoint_5p"] == "chr1:120000000"
    assert other["breakpoint_3p"] == truth["fusions"][0]["breakpoint_3p"]
    assert out["call"] != "DETECTED"


@pytest.mark.parametrize("aligner", ["star_chimeric", "hisat2"])
def test_scattered_single_chimeric_pairs_are_no_fusion(simulate_fixture, aligner):
    out, _ = run(simulate_fixture(aligner=aligner, fusion_fragments=0, artefact_pairs=30))
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    assert not [f for f in out["fusions"] if f["passed"]]


@pytest.mark.parametrize("assay", ["rna", "dna"])
def test_reads_multimapping_to_a_tfe3_copy_are_filtered(simulate_fixture, assay):
    sim = simulate_fixture(
        assay=assay,
        fusion_fragments=0,
        paralog_fragments=6,
        background=400.0 if assay == "rna" else 100.0,
    )
    out, _ = run(sim)
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    assert out["filters"]["low_mapq"] >= 6


def test_read_through_is_filtered_not_reported(simulate_fixture):
    out, _ = run(simulate_fixture(fusion_fragments=0, read_through=8))
    assert out["call"] == "NOT_DETECTED", out["call_reason"]
    assert out["filters"]["read_through"] == 8
    assert not [f for f in out["fusions"] if f["passed"]]


@pytest.mark.parametrize("aligner", RNA_STYLES)
def test_low_coverage_is_indeterminate_not_negative(simulate_fixture, aligner):
    out, truth = run(simulate_fixture(aligner=aligner, fusion_fragments=0, background=15.0))
    assert out["call"] == "INDETERMINATE"
    assert "too low" in out["call_reason"]


def test_star_default_without_reference_cannot_be_negative(simulate_fixture):
    sim = simulate_fixture(aligner="star", fusion_fragments=5)
    out = scan(sim.bam, sample="s")
    assert out["call"] == "INDETERMINATE"
    assert "--reference" in out["call_reason"]


# --- the reciprocal ---------------------------------------------------------------------------


@pytest.mark.parametrize("aligner", ["star_chimeric", "hisat2"])
def test_reciprocal_is_its_own_record_when_present(simulate_fixture, aligner):
    out, truth = run(simulate_fixture(aligner=aligner, reciprocal=True, fusion_fragments=6))
    assert out["call"] == "DETECTED"
    (recip,) = [f for f in out["fusions"] if f["kind"] == "reciprocal"]
    expected = next(f for f in truth["fusions"] if f["role"] == "reciprocal")
    assert (recip["five_prime_gene"], recip["three_prime_gene"]) == ("TFE3", "ASPSCR1")
    assert_matches_truth(recip, expected)
    assert out["reciprocal"]["status"] == "present"


def test_reciprocal_reported_absent_and_said_not_to_decide_the_tumour(simulate_fixture):
    out, _ = run(simulate_fixture(fusion_fragments=6))
    assert out["reciprocal"]["status"] == "absent"
    assert out["reciprocal"]["statement"] == (
        "No reciprocal TFE3::ASPSCR1 evidence. Balanced and unbalanced forms of the "
        "translocation both occur, so its absence does not distinguish the tumours this "
        "fusion occurs in."
    )


# --- CRAM -------------------------------------------------------------------------------------


def test_cram_with_reference_gives_the_same_call_as_the_bam(simulate_fixture, tmp_path):
    sim = simulate_fixture(fusion_fragments=5)
    cram = to_cram(sim.bam, sim.genome, tmp_path / "s.cram")
    from_bam, _ = run(sim)
    from_cram = scan(cram, sample="s", reference=sim.genome)
    assert from_cram["input"]["format"] == "CRAM"
    for key in ("call", "confidence", "fusions", "sensitivity", "filters"):
        assert json.dumps(from_cram[key]) == json.dumps(from_bam[key]), key


# --- TFE3 exon imbalance ----------------------------------------------------------------------


def test_fusion_expressed_without_junction_reads_is_suspected_never_detected(simulate_fixture):
    """A panel baiting only TFE3 sees the fusion's TFE3 part, never its junction."""
    out, _ = run(simulate_fixture(fusion_fragments=0, unspanned_fusion=1600.0))
    assert out["tfe3_imbalance"]["status"] == "imbalanced"
    assert out["tfe3_imbalance"]["fold"] > out["thresholds"]["imbalance_max_fold"]
    assert out["call"] == "INDETERMINATE"
    assert out["call_reason"].startswith("TFE3 rearrangement suspected")


@pytest.mark.parametrize("aligner", RNA_STYLES)
def test_normal_samples_show_no_imbalance(simulate_fixture, aligner):
    out, _ = run(simulate_fixture(aligner=aligner, fusion_fragments=0))
    assert out["tfe3_imbalance"]["status"] == "balanced"
    assert 0.7 < out["tfe3_imbalance"]["fold"] < 1.4


def test_imbalance_is_not_assessed_in_dna(simulate_fixture):
    out, _ = run(simulate_fixture(assay="dna"))
    assert out["tfe3_imbalance"]["status"] == "not_assessed"
