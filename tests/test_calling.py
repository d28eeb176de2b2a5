"""Orientation, clustering and the sensitivity rule, on observations stated by hand."""

import pytest

from fusioncheck.calling import cluster, detectable_fraction, orient, passes
from fusioncheck.config import Thresholds
from fusioncheck.evidence import Breakend, Observation
from fusioncheck.genes import load

M = load("GRCh38")
T = Thresholds()
ASPSCR1_EX7 = Breakend("chr17", 81_996_846, "below")
TFE3_EX6 = Breakend("chrX", 49_034_251, "below")


def test_asps_junction_is_oriented_aspscr1_first_whatever_the_read_strand():
    for a, b in ((ASPSCR1_EX7, TFE3_EX6), (TFE3_EX6, ASPSCR1_EX7)):
        j = orient(Observation("r", "SA", a, b), M, T)
        assert (j.five_gene, j.three_gene) == ("ASPSCR1", "TFE3")
        assert (j.five, j.three) == (ASPSCR1_EX7, TFE3_EX6)
        assert j.filter is None


def test_reciprocal_keeps_the_other_sides():
    tfe3_ex5_donor = Breakend("chrX", 49_038_010, "above")
    aspscr1_ex8 = Breakend("chr17", 82_009_037, "above")
    j = orient(Observation("r", "SA", aspscr1_ex8, tfe3_ex5_donor), M, T)
    assert (j.five_gene, j.three_gene) == ("TFE3", "ASPSCR1")


def test_antisense_chimera_is_marked_orientation():
    wrong = Breakend("chrX", 49_034_251, "above")  # TFE3 keeping its 5' side as a 3' partner
    j = orient(Observation("r", "SA", ASPSCR1_EX7, wrong), M, T)
    assert j.filter == "orientation"


def test_prcc_partner_is_named_never_aspscr1():
    prcc_ex1 = Breakend("chr1", 156_768_239, "below")
    j = orient(Observation("r", "SA", prcc_ex1, Breakend("chrX", 49_038_442, "below")), M, T)
    assert (j.five_gene, j.three_gene) == ("PRCC", "TFE3")


def test_same_strand_neighbour_upstream_of_tfe3_is_read_through():
    # TFE3 is on minus: a neighbour 20 kb above it, keeping its 5' part (above), joined to TFE3.
    neighbour = Breakend("chrX", 49_063_486, "above")
    tfe3_ex2 = Breakend("chrX", 49_040_568, "below")
    j = orient(Observation("r", "SA", neighbour, tfe3_ex2), M, T)
    assert j.filter == "read_through"
    assert j.three_gene == "TFE3" and j.five_gene is None


def test_split_reads_with_microhomology_slide_cluster_at_the_exon_boundary():
    obs = [Observation(f"f{i}", "SA", ASPSCR1_EX7, TFE3_EX6) for i in range(3)]
    shifted = Observation(
        "f9", "SA", Breakend("chr17", 81_996_848, "below"), Breakend("chrX", 49_034_249, "below")
    )
    junctions = [orient(o, M, T) for o in [*obs, shifted]]
    (c,) = cluster(junctions, M, T, rna=True)
    assert (c.five, c.three) == (ASPSCR1_EX7, TFE3_EX6)
    assert len(c.split_fragments) == 4 and passes(c, T)


def test_spanning_pair_joins_the_cluster_it_fits_and_not_one_it_does_not():
    splits = [orient(Observation(f"s{i}", "SA", ASPSCR1_EX7, TFE3_EX6), M, T) for i in range(2)]
    fits = orient(
        Observation(
            "p1",
            "mates",
            Breakend("chr17", 81_996_800, "below"),
            Breakend("chrX", 49_034_200, "below"),
        ),
        M,
        T,
    )
    far = orient(
        Observation(
            "p2",
            "mates",
            Breakend("chr17", 81_979_239, "below"),
            Breakend("chrX", 49_030_000, "below"),
        ),
        M,
        T,
    )
    clusters = cluster([*splits, fits, far], M, T, rna=True)
    assert clusters[0].spanning_fragments == {"p1"}
    assert clusters[1].exact is False and clusters[1].spanning_fragments == {"p2"}


def test_filtered_evidence_never_counts():
    junctions = [
        orient(Observation(f"d{i}", "SA", ASPSCR1_EX7, TFE3_EX6, "duplicates"), M, T)
        for i in range(5)
    ]
    assert cluster(junctions, M, T, rna=True) == []


@pytest.mark.parametrize(("informative", "expected"), [(63.0, 0.1), (630.0, 0.01)])
def test_detectable_fraction_is_the_poisson_95_percent_point(informative, expected):
    # P(Poisson(6.296) >= 3) = 0.95
    assert detectable_fraction(informative, 3) == pytest.approx(expected, rel=0.01)
    assert detectable_fraction(0, 3) is None
