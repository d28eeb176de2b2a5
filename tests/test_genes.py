"""Gene models: the coordinates the calls rest on, checked against published facts."""

import pytest

from fusioncheck import genes


@pytest.mark.parametrize(
    ("build", "donor7", "acceptors"),
    [
        ("GRCh38", 81_996_846, {4: 49_038_442, 5: 49_038_114, 6: 49_034_251}),
        ("GRCh37", 79_954_722, None),
    ],
)
def test_asps_junction_coordinates(build, donor7, acceptors):
    models = genes.load(build)
    aspscr1, tfe3 = models["ASPSCR1"], models["TFE3"]
    assert aspscr1.donor(7) == donor7
    assert aspscr1.exon(7).cds_c_end == 933
    assert [tfe3.exon(n).cds_c_start for n in (4, 5, 6)] == [535, 781, 886]
    if acceptors:
        assert {n: tfe3.acceptor(n) for n in acceptors} == acceptors


@pytest.mark.parametrize("build", genes.BUILDS)
def test_protein_lengths_match_uniprot(build):
    models = genes.load(build)
    expected = {"ASPSCR1": 553, "TFE3": 575, "PRCC": 491, "SFPQ": 707, "NONO": 471}
    for gene, aa in expected.items():
        start, end = models[gene].cds_tx_range
        assert (end - start + 1) == (aa + 1) * 3, gene


@pytest.mark.parametrize("build", genes.BUILDS)
def test_reading_frames_of_asps_junctions(build):
    m = genes.load(build)
    frame = {n: genes.reading_frame(m["ASPSCR1"], 7, m["TFE3"], n) for n in range(2, 11)}
    assert [n for n, f in frame.items() if f == "in-frame"] == [4, 5, 6, 10]
    assert frame[3] == "out-of-frame"


def test_exon_lengths_equal_across_builds():
    a, b = genes.load("GRCh38"), genes.load("GRCh37")
    for gene in a.transcripts:
        assert [e.length for e in a[gene].exons] == [e.length for e in b[gene].exons]


def test_transcript_coordinates_round_trip():
    tfe3 = genes.load("GRCh38")["TFE3"]
    for tx_pos in (1, 376, 377, 1146, tfe3.tx_length):
        assert tfe3.tx_position(tfe3.genomic_position(tx_pos)) == tx_pos
    assert tfe3.tx_position(49_034_251) == 1146  # first base of exon 6
    assert tfe3.intron_at(49_036_000) == 5
    assert tfe3.exon_at(49_036_000) is None


def test_contig_style_maps_both_ways():
    plain = genes.ContigStyle("plain")
    assert plain.to_bam("chr17") == "17"
    assert plain.from_bam("X") == "chrX"
    assert genes.ContigStyle("chr").to_bam("chrX") == "chrX"


def test_unknown_build_is_an_input_error():
    with pytest.raises(genes.InputError, match="unknown genome build"):
        genes.load("hg18")


@pytest.mark.parametrize("build", genes.BUILDS)
def test_tfe3_partner_protein_lengths_match_uniprot(build):
    """Issue 7 partners: the annotated CDS (stop codon included) gives the UniProt canonical
    protein (RBM10 P98175, MED15 Q96RN5, DVL2 O14641, CLTC Q00610, YAP1 P46937, HNRNPH3
    P31942), a whole number of codons, starting in a coding exon and ending in the last one."""
    models = genes.load(build)
    expected = {"RBM10": 930, "MED15": 788, "DVL2": 736, "CLTC": 1675, "YAP1": 504, "HNRNPH3": 346}
    for gene, aa in expected.items():
        tx = models[gene]
        coding = [e for e in tx.exons if e.cds_c_start is not None]
        assert coding, f"{gene} has no CDS in {build}"
        start, end = tx.cds_tx_range
        assert (end - start + 1) == (aa + 1) * 3, gene
        assert coding[0].cds_c_start == 1, gene
        assert coding[-1].cds_c_end == aa * 3, gene
        assert end <= tx.tx_length, gene
        for a, b in zip(coding, coding[1:]):
            assert b.cds_c_start == a.cds_c_end + 1, gene
