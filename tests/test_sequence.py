"""sequence: placing clipped bases on a partner (PartnerIndex), reads split over two genes, and
the placements of a join through shared bases (equivalent_joins), on a small synthetic FASTA.

Two made-up genes on two 2 kb contigs:  GA on chrA, + strand, exons 101-300 and 501-700;
GB on chrB, - strand, exon 1 = 601-800 and exon 2 = 201-400 (transcription order).  The fusion
GA exon 1 :: GB exon 2 joins chrA:300 (GA keeps the bases below) to chrB:400 (GB, on minus,
keeps the bases below too).
"""

from __future__ import annotations

import random
from pathlib import Path

import pysam
import pytest

from fusioncheck.config import Thresholds
from fusioncheck.genes import ContigStyle, Exon, GeneModels, Transcript, Window
from fusioncheck.model import Breakend
from fusioncheck.sequence import PartnerIndex, equivalent_joins, reverse_complement

T = Thresholds()  # kmer 16, max_clip_mismatch_rate 0.1, min_anchor 20
STYLE = ContigStyle("chr")
GA = Transcript("GA", "GA.1", None, "chrA", "+", ".", (Exon(1, 101, 300, None, None),
                                                       Exon(2, 501, 700, None, None)))  # fmt: skip
GB = Transcript("GB", "GB.1", None, "chrB", "-", ".", (Exon(1, 601, 800, None, None),
                                                       Exon(2, 201, 400, None, None)))  # fmt: skip
MODELS = GeneModels("GRCh38", {"GA": GA, "GB": GB})
WINDOWS = (Window("GA", "chrA", 1, 2000), Window("GB", "chrB", 1, 2000))
DONOR = Breakend("chrA", 300, "below")
ACCEPTOR = Breakend("chrB", 400, "below")


def _contigs() -> dict[str, list[str]]:
    rng = random.Random(12)
    seqs = {c: [rng.choice("ACGT") for _ in range(2000)] for c in ("chrA", "chrB")}
    a, b = seqs["chrA"], seqs["chrB"]

    def rc(base: str) -> str:
        return reverse_complement(base)

    # Shared bases around the join, so it slides: toward GA two bases (chrA 301, 302 equal GB's
    # first kept bases chrB 400, 399 read on minus), away from GA one base (chrA 300 equals the
    # GB base before the join, chrB 401), and no further either way.
    a[300], a[301] = rc(b[399]), rc(b[398])  # 0-based: chrA:301, 302 = rc chrB:400, 399
    a[302] = "A" if rc(b[397]) != "A" else "C"  # chrA:303 differs from rc chrB:398
    a[299] = rc(b[400])  # chrA:300 = rc chrB:401
    a[298] = "A" if rc(b[401]) != "A" else "C"  # chrA:299 differs from rc chrB:402
    return seqs


@pytest.fixture(scope="module")
def fasta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The contigs as a bgzip-compressed, faidx-indexed FASTA."""
    d = tmp_path_factory.mktemp("fasta")
    plain = d / "genome.fa"
    with open(plain, "w") as out:
        for chrom, bases in _contigs().items():
            seq = "".join(bases)
            out.write(f">{chrom}\n" + "".join(seq[i : i + 60] + "\n" for i in range(0, 2000, 60)))
    gz = d / "genome.fa.gz"
    pysam.tabix_compress(str(plain), str(gz))
    pysam.faidx(str(gz))
    return gz


def fetch(fasta: Path, chrom: str, start: int, end: int) -> str:
    with pysam.FastaFile(str(fasta)) as f:
        return str(f.fetch(chrom, start - 1, end))


@pytest.fixture(scope="module")
def index(fasta: Path) -> PartnerIndex:
    return PartnerIndex(fasta, MODELS, STYLE, WINDOWS, T)


def gb_exon2_start(fasta: Path, n: int) -> str:
    """The first ``n`` bases of GB exon 2 in transcription order (minus strand, from 400 down)."""
    return reverse_complement(fetch(fasta, "chrB", 400 - n + 1, 400))


def test_the_fasta_reads_back(fasta):
    assert len(fetch(fasta, "chrA", 1, 2000)) == 2000
    assert fetch(fasta, "chrA", 301, 302) == gb_exon2_start(fasta, 2)


def test_a_clip_after_the_anchor_is_placed_at_the_partner_acceptor(fasta, index):
    assert index.match(gb_exon2_start(fasta, 30), after=True) == [ACCEPTOR]


def test_a_clip_of_the_5p_partner_is_placed_at_its_donor_either_side_of_the_anchor(fasta, index):
    # A read on chrB's forward strand anchored at GB exon 2 (up to 400): its clip after the
    # anchor is GA exon 1's end, reverse-complemented.
    clip = reverse_complement(fetch(fasta, "chrA", 271, 300))
    assert index.match(clip, after=True) == [DONOR]
    # A read in GA's orientation: GA's end is clipped before an anchor on GB's minus strand.
    assert index.match(fetch(fasta, "chrA", 271, 300), after=False) == [DONOR]


def test_a_clip_in_lower_case_is_placed_the_same(fasta, index):
    assert index.match(gb_exon2_start(fasta, 30).lower(), after=True) == [ACCEPTOR]


def test_a_few_mismatches_are_tolerated_and_many_are_not(fasta, index):
    clip = list(gb_exon2_start(fasta, 30))
    swap = {"A": "C", "C": "G", "G": "T", "T": "A"}
    for i in (20, 25):  # after the 16-base seed; limit int(30 x 0.1) = 3
        clip[i] = swap[clip[i]]
    assert index.match("".join(clip), after=True) == [ACCEPTOR]
    for i in (18, 22, 27):
        clip[i] = swap[clip[i]]
    assert index.match("".join(clip), after=True) == []


def test_clips_shorter_than_a_kmer_or_from_nowhere_are_not_placed(fasta, index):
    assert index.match(gb_exon2_start(fasta, 15), after=True) == []
    assert index.match("ACGT" * 8, after=True) == []


def test_same_gene(index):
    assert index.same_gene(Breakend("chrA", 150, "below"), DONOR)
    assert not index.same_gene(ACCEPTOR, DONOR)
    assert not index.same_gene(Breakend("chrA", 1500, "below"), DONOR)  # no gene there


def test_an_unmapped_read_across_the_join_is_split_at_the_exon_boundaries(fasta, index):
    # 30 bases of GA exon 1's end, then 30 of GB exon 2's start.  The join slides two bases
    # toward GA and one away (shared sequence); the exon-boundary placement is chosen.
    read = fetch(fasta, "chrA", 271, 300) + gb_exon2_start(fasta, 30)
    assert (DONOR, ACCEPTOR) in index.split_placements(read, T.min_anchor)
    assert index.split_placements(fetch(fasta, "chrA", 101, 160), T.min_anchor) == set()


def test_equivalent_joins_slide_through_the_shared_bases(fasta):
    with pysam.FastaFile(str(fasta)) as f:
        joins = equivalent_joins(f, STYLE, DONOR, ACCEPTOR, limit=50)
        limited = equivalent_joins(f, STYLE, DONOR, ACCEPTOR, limit=1)
        none = equivalent_joins(f, STYLE, DONOR, ACCEPTOR, limit=0)
    assert joins == [
        (Breakend("chrA", 299, "below"), Breakend("chrB", 401, "below")),
        (DONOR, ACCEPTOR),
        (Breakend("chrA", 301, "below"), Breakend("chrB", 399, "below")),
        (Breakend("chrA", 302, "below"), Breakend("chrB", 398, "below")),
    ]
    assert limited == joins[:3]
    assert none == [(DONOR, ACCEPTOR)]


def test_every_equivalent_join_gives_the_same_joined_sequence(fasta):
    with pysam.FastaFile(str(fasta)) as f:
        joins = equivalent_joins(f, STYLE, DONOR, ACCEPTOR, limit=50)
    joined = {
        fetch(fasta, "chrA", 251, five.pos)
        + reverse_complement(fetch(fasta, "chrB", three.pos - (350 - five.pos) + 1, three.pos))
        for five, three in joins
    }
    assert len(joined) == 1
