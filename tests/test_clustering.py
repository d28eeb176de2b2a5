"""Orientation and clustering, on observations stated by hand."""

from fusioncheck import filters
from fusioncheck.annotation import passes
from fusioncheck.clustering import cluster, orient
from fusioncheck.config import Thresholds
from fusioncheck.genes import load
from fusioncheck.model import Breakend, Observation

M = load("GRCh38")
T = Thresholds()
GENES = ("ASPSCR1", "TFE3")


def obs(fragment, source, a, b, **facts):
    """An observation whose fragment is its own molecule."""
    return Observation(fragment, f"m-{fragment}", source, a, b, **facts)


def judged(o):
    """Oriented and filtered, as the scan does."""
    (j,) = filters.apply([orient(o, M, GENES, T)], T)
    return j


ASPSCR1_EX7 = Breakend("chr17", 81_996_846, "below")
TFE3_EX6 = Breakend("chrX", 49_034_251, "below")


def test_asps_junction_is_oriented_aspscr1_first_whatever_the_read_strand():
    for a, b in ((ASPSCR1_EX7, TFE3_EX6), (TFE3_EX6, ASPSCR1_EX7)):
        j = judged(obs("r", "SA", a, b))
        assert (j.five_gene, j.three_gene) == ("ASPSCR1", "TFE3")
        assert (j.five, j.three) == (ASPSCR1_EX7, TFE3_EX6)
        assert j.filter is None


def test_reciprocal_keeps_the_other_sides():
    tfe3_ex5_donor = Breakend("chrX", 49_038_010, "above")
    aspscr1_ex8 = Breakend("chr17", 82_009_037, "above")
    j = judged(obs("r", "SA", aspscr1_ex8, tfe3_ex5_donor))
    assert (j.five_gene, j.three_gene) == ("TFE3", "ASPSCR1")


def test_antisense_chimera_is_marked_orientation():
    wrong = Breakend("chrX", 49_034_251, "above")  # TFE3 keeping its 5' side as a 3' partner
    j = judged(obs("r", "SA", ASPSCR1_EX7, wrong))
    assert j.filter == "orientation"


def test_prcc_partner_is_named_never_aspscr1():
    prcc_ex1 = Breakend("chr1", 156_768_239, "below")
    j = judged(obs("r", "SA", prcc_ex1, Breakend("chrX", 49_038_442, "below")))
    assert (j.five_gene, j.three_gene) == ("PRCC", "TFE3")


def test_same_strand_neighbour_upstream_of_tfe3_is_read_through():
    # TFE3 is on minus: a neighbour 20 kb above it, keeping its 5' part (above), joined to TFE3.
    neighbour = Breakend("chrX", 49_063_486, "above")
    tfe3_ex2 = Breakend("chrX", 49_040_568, "below")
    j = judged(obs("r", "SA", neighbour, tfe3_ex2))
    assert j.filter == "read_through"
    assert j.three_gene == "TFE3" and j.five_gene is None


def test_split_reads_with_microhomology_slide_cluster_at_the_exon_boundary():
    at = [obs(f"f{i}", "SA", ASPSCR1_EX7, TFE3_EX6) for i in range(3)]
    shifted = obs(
        "f9", "SA", Breakend("chr17", 81_996_848, "below"), Breakend("chrX", 49_034_249, "below")
    )
    junctions = [judged(o) for o in [*at, shifted]]
    (c,) = cluster(junctions, M, T, rna=True)
    assert (c.five, c.three) == (ASPSCR1_EX7, TFE3_EX6)
    assert c.split_molecules == 4 and passes(c, T)


def test_pcr_copies_count_once_and_umis_one_error_apart_are_one_molecule():
    copies = [Observation(f"c{i}", "umi:ACGTACGT", "SA", ASPSCR1_EX7, TFE3_EX6) for i in range(40)]
    error = Observation("e", "umi:ACGTACGA", "SA", ASPSCR1_EX7, TFE3_EX6)
    other = Observation("o", "umi:TTTTCCCC", "SA", ASPSCR1_EX7, TFE3_EX6)
    (c,) = cluster([judged(o) for o in [*copies, error, other]], M, T, rna=True)
    assert (c.support, c.split_molecules, c.reads) == (2, 2, 42)
    assert not passes(c, T)


def test_spanning_pair_joins_the_cluster_it_fits_and_not_one_it_does_not():
    splits = [judged(obs(f"s{i}", "SA", ASPSCR1_EX7, TFE3_EX6)) for i in range(2)]
    fits = judged(
        obs(
            "p1",
            "mates",
            Breakend("chr17", 81_996_800, "below"),
            Breakend("chrX", 49_034_200, "below"),
        )
    )
    far = judged(
        obs(
            "p2",
            "mates",
            Breakend("chr17", 81_979_239, "below"),
            Breakend("chrX", 49_030_000, "below"),
        )
    )
    clusters = cluster([*splits, fits, far], M, T, rna=True)
    assert set(clusters[0].spanning) == {"p1"}
    assert clusters[1].exact is False and set(clusters[1].spanning) == {"p2"}


def test_filtered_evidence_never_counts():
    junctions = [
        judged(obs(f"d{i}", "SA", ASPSCR1_EX7, TFE3_EX6, duplicate=True)) for i in range(5)
    ]
    assert {j.filter for j in junctions} == {"duplicates"}
    assert cluster(junctions, M, T, rna=True) == []
