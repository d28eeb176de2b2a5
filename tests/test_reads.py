"""Reading the windows: the fast path, the flat fragment counting and ``threads`` give the same
numbers as reading every read the slow way, one thread.

The expected QC blocks below are the result documents the scan wrote for these simulated
controls without the fast path (``benchmarks/identity.py record`` on main at 0c94650, which
counts supplementary records at exon edges): the speed work changed no count.
"""

from __future__ import annotations

from collections import Counter

import pytest

from fusioncheck.readloop import read_chunk
from fusioncheck.reads import chunks
from fusioncheck.scan import Options, _read, scan

RNA = {"seed": 1}  # STAR chimeric, the default positive
DNA = {"seed": 15, "assay": "dna"}
AMP = {"seed": 11, "design": "amp", "umi": "rx", "pcr_copies": 3, "umi_error_rate": 0.05}

BEFORE = {
    "rna": {
        "exon_coverage": {
            "ASPSCR1": [
                103, 112, 153, 161, 139, 145, 328, 186, 148, 139, 139, 131, 128, 140, 117, 42,
            ],
            "TFE3": [182, 168, 234, 196, 142, 164, 137, 139, 169, 814],
        },
        "junction_exon_coverage": {
            "ASPSCR1 exon 7": 126.0, "TFE3 exon 4": 104.0, "TFE3 exon 5": 102.0,
            "TFE3 exon 6": 101.0,
        },
        "reads_in_windows": {"ASPSCR1": 1486, "TFE3": 2740},
        "informative": (126.0, 101.0),
        "support": (5, 5),
    },
    "dna": {
        "exon_coverage": {
            "ASPSCR1": [97, 52, 71, 61, 37, 49, 130, 73, 62, 51, 51, 41, 46, 39, 71, 68],
            "TFE3": [120, 57, 106, 98, 73, 64, 53, 55, 53, 338],
        },
        "junction_exon_coverage": {
            "ASPSCR1 exon 7": 45.0, "TFE3 exon 4": 36.0, "TFE3 exon 5": 49.0, "TFE3 exon 6": 41.0,
        },
        "reads_in_windows": {"ASPSCR1": 13170, "TFE3": 5634},
        "informative": (54.1, 53.2),
        "support": (5, 5),
    },
    "amp": {
        "exon_coverage": {
            "ASPSCR1": [0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            "TFE3": [0, 0, 300, 720, 726, 861, 600, 300, 0, 0],
        },
        "junction_exon_coverage": {
            "ASPSCR1 exon 7": 10.0, "TFE3 exon 4": 115.0, "TFE3 exon 5": 191.0,
            "TFE3 exon 6": 209.0,
        },
        "reads_in_windows": {"ASPSCR1": 60, "TFE3": 3000},
        "informative": (10.0, 115.0),
        "support": (10, 0),
    },
}  # fmt: skip
SPECS = {"rna": RNA, "dna": DNA, "amp": AMP}
ASSAY = {"rna": "auto", "dna": "auto", "amp": "amp"}


@pytest.mark.parametrize("kind", ["rna", "dna", "amp"])
@pytest.mark.parametrize("threads", [1, 2])
def test_counts_are_those_before_the_fast_path(simulate_fixture, kind, threads):
    sim = simulate_fixture(**SPECS[kind])
    result = scan(sim.bam, "S1", reference=sim.genome, threads=threads, assay=ASSAY[kind])
    want = BEFORE[kind]
    qc = result["qc"]
    assert result["call"] == "DETECTED"
    assert qc["exon_coverage"] == want["exon_coverage"]
    assert qc["junction_exon_coverage"] == want["junction_exon_coverage"]
    assert qc["reads_in_windows"] == want["reads_in_windows"]
    sens = result["sensitivity"]
    assert (sens["informative_fragments_5p"], sens["informative_fragments_3p"]) == want[
        "informative"
    ]
    fusion = result["fusions"][0]
    assert (fusion["split_reads"], fusion["spanning_pairs"]) == want["support"]


@pytest.mark.parametrize("kind", ["rna", "dna"])
def test_two_threads_give_the_same_document(simulate_fixture, kind):
    sim = simulate_fixture(**SPECS[kind])
    one, two = (
        scan(sim.bam, "S1", reference=sim.genome, threads=n, command="same") for n in (1, 2)
    )
    del one["run"], two["run"]  # times and host
    assert one == two


def _tally(bam, per_window: int):
    """Coverage of the RNA fixture read in ``per_window`` chunks in this process, merged."""
    s = _read(bam, Options())  # the reference scan, one chunk per window
    coverage = s.coverage.empty()
    merged = coverage.empty()
    crossing = 0
    with s.inp.open() as handle:
        for chunk in chunks(tuple(s.target.windows(s.models, s.coverage.t.flank)), per_window):
            part = coverage.empty()
            read_chunk(handle, s.inp, chunk, s.coverage.t, part, lambda r: None, Counter())
            crossing += len(part.tally.open)
            merged.tally.merge(part.tally)
    return s.coverage, merged, crossing


def test_fragments_across_chunk_boundaries_count_once(simulate_fixture):
    """Cut each window into 97 chunks: many pairs have a mate on each side of a cut, and each
    still counts once per exon (the merge subtracts what both sides counted)."""
    sim = simulate_fixture(**RNA)
    whole, merged, crossing = _tally(sim.bam, 97)
    assert crossing > 100  # fragments held at a cut, for the merge to resolve
    assert merged.exon_coverage() == BEFORE["rna"]["exon_coverage"]
    assert whole.exon_coverage() == BEFORE["rna"]["exon_coverage"]
    assert merged.tally.exon_bases == whole.tally.exon_bases
    assert merged.tally.intron_bases == whole.tally.intron_bases
    assert merged.junction_exon_coverage() == BEFORE["rna"]["junction_exon_coverage"]


def test_parallel_chunks_start_at_the_index_resolution():
    """Parallel chunks are cut at multiples of 16384 (where a fetch starts without decoding the
    reads of the 16 kb before it) and cover each window without gap or overlap."""
    from fusioncheck.genes import Window

    window = Window("TFE3", "chrX", 49_026_731, 49_045_486)  # 1-based closed
    cut = chunks((window,), 8, 1 << 14)
    assert [(c.start, c.end, c.first, c.last) for c in cut] == [
        (49_026_730, 49_037_312, True, False),
        (49_037_312, 49_045_486, False, True),
    ]
    short = Window("ASPSCR1", "chr17", 100_001, 110_000)  # no multiple of 16384 inside
    assert [(c.start, c.end) for c in chunks((short,), 8, 1 << 14)] == [(100_000, 110_000)]


def test_workers_get_the_largest_chunks_first(simulate_fixture):
    """An amplicon panel puts all but 60 of its reads in TFE3's two chunks: they are handed
    out first, so no worker is left alone with one of them at the end."""
    from fusioncheck.reads import largest_first

    sim = simulate_fixture(**AMP)
    s = _read(sim.bam, Options(reference=sim.genome, assay="amp"))
    cut = chunks(tuple(s.target.windows(s.models, s.coverage.t.flank)), 8, 1 << 14)
    with s.inp.open() as bam:
        order = largest_first(bam, s.inp, cut)
    assert [(c.window.gene, c.start) for c in cut] == [
        ("ASPSCR1", 81_975_549), ("ASPSCR1", 81_985_536), ("ASPSCR1", 82_001_920),
        ("ASPSCR1", 82_018_304), ("TFE3", 49_026_730), ("TFE3", 49_037_312),
    ]  # fmt: skip
    assert sorted(order) == [0, 1, 2, 3, 4, 5]
    assert order[:2] == [5, 4]
