"""The fixture generator: valid, sorted, indexed BAMs whose records tell the truth."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pysam
import pytest

from fusioncheck.cli import main
from fusioncheck.errors import UsageError
from fusioncheck.genes import ContigStyle, load
from fusioncheck.simulate import SimulationSpec, simulate
from fusioncheck.simulate.lift import lift_bam

# One rich fixture per record style and build; contig styles vary across them.
STYLES = {
    "star_chimeric38": dict(assay="rna", aligner="star_chimeric", build="GRCh38"),
    "star_chimeric37": dict(
        assay="rna", aligner="star_chimeric", build="GRCh37", contig_style="plain"
    ),
    "star38": dict(assay="rna", aligner="star", build="GRCh38"),
    "star37": dict(assay="rna", aligner="star", build="GRCh37", contig_style="plain"),
    "hisat2_38": dict(assay="rna", aligner="hisat2", build="GRCh38", contig_style="plain"),
    "hisat2_37": dict(assay="rna", aligner="hisat2", build="GRCh37"),
    "bwa37": dict(assay="dna", aligner="bwa", build="GRCh37"),
    "bwa38": dict(assay="dna", aligner="bwa", build="GRCh38", contig_style="plain"),
}
EXTRAS = dict(
    reciprocal=True,
    duplicate_rate=0.05,
    base_error_rate=0.005,
    paralog_fragments=2,
    artefact_pairs=3,
    seed=7,
)


# The panel designs and library options, small (a few thousand reads each).
PANELS = {
    "amp_bwa_rx": dict(design="amp", umi="rx", pcr_copies=3, umi_error_rate=0.2,
                       background=20.0, base_error_rate=0.002, seed=21),
    "amp_star_mi": dict(design="amp", aligner="star_chimeric", umi="mi", pcr_copies=2,
                        background=20.0, build="GRCh37", contig_style="plain", seed=22),
    "rna_capture_tfe3_stranded_name": dict(design="rna_capture", aligner="hisat2", umi="name",
                                           stranded=True, background=60.0, seed=23),
    "dna_capture_tfe3_rx": dict(design="dna_capture", umi="rx", background=12.0, seed=24),
    "ffpe_star": dict(ffpe=True, aligner="star", background=60.0, base_error_rate=0.002,
                      seed=25),
    "single_end_star_chimeric": dict(single_end=True, umi="rx", background=40.0, seed=26),
    "single_end_stranded_hisat2": dict(single_end=True, stranded=True, aligner="hisat2",
                                       background=40.0, seed=27),
    "consensus_bwa_rna_mi": dict(aligner="bwa", no_supplementary=True, umi="mi",
                                 background=40.0, seed=28),
    "bwa_rna": dict(aligner="bwa", intronic_chimeras=4, background=40.0, seed=29),
}  # fmt: skip
FIXTURES = {**STYLES, **PANELS}


def made(simulate_fixture, name: str):
    return rich(simulate_fixture, name) if name in STYLES else simulate_fixture(**PANELS[name])


def rich(simulate_fixture, name: str):
    fields = dict(STYLES[name], **EXTRAS)
    if fields["assay"] == "rna":
        fields.update(read_through=2, background=60.0)
    else:
        fields.update(background=8.0)
    return simulate_fixture(**fields)


def records(bam: Path) -> list[pysam.AlignedSegment]:
    with pysam.AlignmentFile(str(bam)) as f:
        return list(f.fetch(until_eof=True))


def samtools(*args: str) -> str:
    return subprocess.run(["samtools", *args], check=True, capture_output=True, text=True).stdout


@pytest.mark.parametrize("name", list(FIXTURES))
def test_bam_is_valid_sorted_and_indexed(simulate_fixture, name):
    result = made(simulate_fixture, name)
    samtools("quickcheck", str(result.bam))
    assert "SO:coordinate" in samtools("view", "-H", str(result.bam)).splitlines()[0]
    assert Path(str(result.bam) + ".bai").exists()
    stats = samtools("idxstats", str(result.bam))
    style = ContigStyle(FIXTURES[name].get("contig_style", "chr"))
    assert {line.split("\t")[0] for line in stats.splitlines()} == {
        style.to_bam(c) for c in ("chr1", "chr17", "chrX")
    } | {"*"}
    last: dict[int, int] = {}
    for r in records(result.bam):
        assert r.reference_start >= last.get(r.reference_id, 0)
        last[r.reference_id] = r.reference_start
    with pysam.AlignmentFile(str(result.bam)) as f:
        lengths = dict(zip(f.references, f.lengths))
    build = FIXTURES[name].get("build", "GRCh38")
    assert lengths == {style.to_bam(c): n for c, n in pysam_lengths(result.genome).items()}
    assert lengths[style.to_bam("chr17")] == {"GRCh38": 83_257_441, "GRCh37": 81_195_210}[build]


def pysam_lengths(fasta: Path) -> dict[str, int]:
    with pysam.FastaFile(str(fasta)) as f:
        return {ContigStyle("chr").from_bam(n): x for n, x in zip(f.references, f.lengths)}


def _soft_cigar(cigar: str) -> str:
    return cigar.replace("H", "S")


def _assert_mate_fields(a: pysam.AlignedSegment, mate: pysam.AlignedSegment | None) -> None:
    if mate is None:  # single-end: no pairing flags, no mate fields
        assert not a.is_paired and not a.is_proper_pair and not a.has_tag("MC")
        assert (a.next_reference_id, a.next_reference_start, a.template_length) == (-1, -1, 0)
        return
    assert a.next_reference_name == mate.reference_name
    assert a.next_reference_start == mate.reference_start
    assert a.mate_is_reverse == mate.is_reverse
    assert a.get_tag("MC") == mate.cigarstring
    if a.is_proper_pair and not a.is_supplementary:
        assert a.reference_name == mate.reference_name


def _assert_sa_links(alns: list[pysam.AlignedSegment], qname: str) -> None:
    """Every SA entry is an actual record of the same read, and vice versa."""
    if len(alns) == 1:
        assert not alns[0].has_tag("SA")
        return
    for a in alns:
        entries = a.get_tag("SA").rstrip(";").split(";")
        others = {
            (o.reference_name, o.reference_start + 1, "-" if o.is_reverse else "+",
             _soft_cigar(o.cigarstring), o.mapping_quality, o.get_tag("NM"))
            for o in alns if o is not a
        }  # fmt: skip
        parsed = set()
        for e in entries:
            rname, pos, strand, cigar, mapq, nm = e.split(",")
            parsed.add((rname, int(pos), strand, cigar, int(mapq), int(nm)))
        assert parsed == others, qname


def assert_records_consistent(result) -> list[pysam.AlignedSegment]:
    """Mates, flags, SA links and MD/NM of every record agree; returns the records."""
    reads = records(result.bam)
    by_read: dict[tuple[str, bool], list[pysam.AlignedSegment]] = defaultdict(list)
    for r in reads:
        by_read[(r.query_name, r.is_read1)].append(r)
    fasta = pysam.FastaFile(str(result.genome))
    for (qname, is_read1), alns in by_read.items():
        primaries = [a for a in alns if not a.is_supplementary]
        assert len(primaries) == 1, qname
        primary = primaries[0]
        mate_alns = by_read.get((qname, not is_read1), [])
        mate = next((a for a in mate_alns if not a.is_supplementary), None)
        for a in alns:
            _assert_mate_fields(a, mate)
            assert a.is_proper_pair == primary.is_proper_pair
            assert a.is_duplicate == primary.is_duplicate
            if a.is_supplementary:
                assert "H" in a.cigarstring and "S" not in a.cigarstring
            # MD/NM agree with the genome FASTA
            ref = a.get_reference_sequence()
            blocks = "".join(fasta.fetch(a.reference_name, s, e) for s, e in a.get_blocks())
            assert ref.upper() == blocks.upper()
            assert a.get_tag("NM") == sum(c.islower() for c in ref)
            assert a.query_alignment_sequence is not None
        if mate is not None and primary.reference_name == mate.reference_name:
            assert primary.template_length == -mate.template_length != 0
        _assert_sa_links(alns, qname)
    return reads


@pytest.mark.parametrize("name", list(STYLES))
def test_sa_mates_md_are_consistent(simulate_fixture, name):
    reads = assert_records_consistent(rich(simulate_fixture, name))
    aligner = STYLES[name]["aligner"]
    if aligner in ("star", "hisat2"):
        assert not any(r.has_tag("SA") or r.is_supplementary for r in reads)
    if aligner == "star":
        assert all(r.reference_id == r.next_reference_id for r in reads)
        assert all(r.mapping_quality in (255, 3) and r.has_tag("NH") for r in reads)
    if aligner == "hisat2":
        cross = [r for r in reads if r.reference_id != r.next_reference_id]
        assert cross and all(r.get_tag("YT") == "DP" for r in cross)
    if aligner == "bwa":
        multi = [r for r in reads if r.has_tag("XA")]
        assert multi and all(r.mapping_quality == 0 for r in multi)
        assert all(r.mapping_quality == 60 for r in reads if not r.has_tag("XA"))


def _segments_at_breakpoints(reads, bp5: str, bp3: str, five_strand: str, three_strand: str):
    """Names of reads with an alignment that stops exactly at the 5' and/or 3' breakpoint
    (the kept side of each partner ends there in transcription order)."""

    def ends_at(r: pysam.AlignedSegment, locus: str, strand: str) -> bool:
        chrom, pos = locus.rsplit(":", 1)
        if r.reference_name != chrom:
            return False
        return (r.reference_end if strand == "+" else r.reference_start + 1) == int(pos)

    def starts_at(r: pysam.AlignedSegment, locus: str, strand: str) -> bool:
        chrom, pos = locus.rsplit(":", 1)
        if r.reference_name != chrom:
            return False
        return (r.reference_start + 1 if strand == "+" else r.reference_end) == int(pos)

    five = {r.query_name for r in reads if ends_at(r, bp5, five_strand) and _clipped(r)}
    three = {r.query_name for r in reads if starts_at(r, bp3, three_strand) and _clipped(r)}
    return five, three


def _clipped(r: pysam.AlignedSegment) -> bool:
    return any(op in (4, 5) for op, _ in r.cigartuples)


@pytest.mark.parametrize("name", list(STYLES))
def test_fusion_fragments_sit_at_the_junction(simulate_fixture, name):
    result = rich(simulate_fixture, name)
    truth = result.load_truth()
    spec = result.spec
    models = load(spec.build)
    fusion = truth["fusions"][0]
    assert fusion["five_prime_gene"] == "ASPSCR1"
    if spec.assay == "rna":
        style = ContigStyle(spec.contig_style)
        assert fusion["breakpoint_5p"] == f"{style.to_bam('chr17')}:{models['ASPSCR1'].donor(7)}"
        assert fusion["breakpoint_3p"] == f"{style.to_bam('chrX')}:{models['TFE3'].acceptor(6)}"
        assert (fusion["exon_5p"], fusion["exon_3p"]) == (7, 6)
    else:
        assert (fusion["intron_5p"], fusion["intron_3p"], fusion["exon_3p"]) == (7, 5, 6)
        five_pos = int(fusion["breakpoint_5p"].rsplit(":", 1)[1])
        assert models["ASPSCR1"].intron_at(five_pos) == 7
        assert models["TFE3"].intron_at(int(fusion["breakpoint_3p"].rsplit(":", 1)[1])) == 5
    assert fusion["reading_frame"] == "in-frame"
    frags = [f for f in truth["fragments"] if f["source"] == "fusion" and f.get("record") == 0]
    originals = [f for f in frags if not f["duplicate_of"]]
    assert len(originals) == fusion["fragments"] == 10
    assert sum(f["kind"] == "split" for f in originals) == 5
    visible = [f for f in originals if f["in_bam"]]
    assert fusion["split_fragments"] == sum(f["kind"] == "split" for f in visible)
    assert fusion["spanning_fragments"] == sum(f["kind"] == "spanning" for f in visible)
    if spec.aligner == "star":
        assert fusion["spanning_fragments"] == 0 and fusion["split_fragments"] >= 1
    else:
        assert fusion["spanning_fragments"] == 5 and fusion["split_fragments"] == 5

    reads = [r for r in records(result.bam) if not r.is_duplicate]
    five, three = _segments_at_breakpoints(
        reads, fusion["breakpoint_5p"], fusion["breakpoint_3p"], "+", "-"
    )
    split = {f["name"] for f in visible if f["kind"] == "split"}
    paralog = {f["name"] for f in truth["fragments"] if f["source"] == "paralog"}
    if spec.aligner in ("star_chimeric", "bwa"):
        assert split <= five & three  # both halves of every split read end at the breakpoints
    else:
        assert split <= five | three
    assert (five | three) - split <= paralog
    # spanning pairs: one mate in each gene, the junction between them
    spanning = {f["name"] for f in visible if f["kind"] == "spanning"}
    chroms = defaultdict(set)
    for r in reads:
        chroms[r.query_name].add(ContigStyle(spec.contig_style).from_bam(r.reference_name))
    assert all(chroms[n] == {"chr17", "chrX"} for n in spanning)
    # duplicates are flagged exactly on the duplicate copies
    dups = {r.query_name for r in records(result.bam) if r.is_duplicate}
    in_bam = {f["name"] for f in truth["fragments"] if f["in_bam"]}
    assert dups >= set(truth["duplicate_fragments"]) & in_bam
    assert dups <= set(truth["duplicate_fragments"])


def test_negative_control_and_truth_without_a_call(simulate_fixture):
    negative = simulate_fixture(fusion_fragments=0, seed=2).load_truth()
    assert negative["fusions"][0]["split_fragments"] == 0
    assert all(f["source"] != "fusion" for f in negative["fragments"])
    # The truth says what was simulated, never what a scan should call.
    assert not {"expected_call", "expected_call_basis", "informative_fragments"} & set(negative)
    assert (negative["design"], negative["baits"], negative["spec"]["umi"]) == (
        "wts",
        "both",
        "none",
    )
    three = simulate_fixture(fusion_fragments=3).load_truth()["fusions"][0]
    assert (three["split_fragments"], three["spanning_fragments"]) == (2, 1)


def test_other_partners_and_loci(simulate_fixture):
    prcc = simulate_fixture(five_prime="PRCC", junction=(1, 6), fusion_fragments=4)
    truth = prcc.load_truth()["fusions"][0]
    tx = load("GRCh38")["PRCC"]
    assert truth["five_prime_gene"] == "PRCC"
    assert truth["breakpoint_5p"] == f"{tx.chrom}:{tx.donor(1)}"
    locus = simulate_fixture(five_prime="chr1:120000000", fusion_fragments=4)
    truth = locus.load_truth()
    assert truth["fusions"][0]["breakpoint_5p"] == "chr1:120000000"
    with pysam.FastaFile(str(locus.genome)) as fasta:
        assert "N" not in fasta.fetch("chr1", 120_000_000 - 400, 120_000_000).upper()
    with pytest.raises(UsageError):
        SimulationSpec(assay="dna", aligner="star")
    with pytest.raises(UsageError):
        SimulationSpec(five_prime="chr5:1000000")


def test_genome_has_real_lengths_splice_sites_and_samtools_index(simulate_fixture, tmp_path):
    result = simulate_fixture(fusion_fragments=3)
    with pysam.FastaFile(str(result.genome)) as fasta:
        assert fasta.get_reference_length("chrX") == 156_040_895
        assert fasta.fetch("chr1", 0, 1000) == "N" * 1000
        aspscr1, tfe3 = load("GRCh38")["ASPSCR1"], load("GRCh38")["TFE3"]
        e7, e8 = aspscr1.exon(7), aspscr1.exon(8)
        assert fasta.fetch("chr17", e7.end, e7.end + 2) == "GT"
        assert fasta.fetch("chr17", e8.start - 3, e8.start - 1) == "AG"
        e5, e6 = tfe3.exon(5), tfe3.exon(6)  # minus strand: CT..AC on the forward strand
        assert fasta.fetch("chrX", e6.end, e6.end + 2) == "CT"
        assert fasta.fetch("chrX", e5.start - 3, e5.start - 1) == "AC"
    copy = tmp_path / "copy.fa.gz"
    shutil.copyfile(result.genome, copy)
    samtools("faidx", str(copy))
    assert filecmp.cmp(str(copy) + ".fai", str(result.genome) + ".fai", shallow=False)
    assert filecmp.cmp(str(copy) + ".gzi", str(result.genome) + ".gzi", shallow=False)


def test_same_seed_gives_identical_files(tmp_path):
    spec = SimulationSpec(fusion_fragments=4, duplicate_rate=0.1, base_error_rate=0.01,
                          background=50.0, seed=11)  # fmt: skip
    a = simulate(spec, tmp_path / "a")
    b = simulate(spec, tmp_path / "b")
    names = sorted(p.name for p in a.outdir.iterdir())
    assert names == sorted(p.name for p in b.outdir.iterdir())
    assert {"genome.fa.gz", "sample.bam", "sample.bam.bai", "truth.json"} <= set(names)
    for n in names:
        assert filecmp.cmp(a.outdir / n, b.outdir / n, shallow=False), n
    other = simulate(SimulationSpec(**{**spec.__dict__, "seed": 12}), tmp_path / "c")
    assert not filecmp.cmp(a.bam, other.bam, shallow=False)
    assert filecmp.cmp(a.genome, other.genome, shallow=False)  # one genome per build


def test_cli_default_is_a_positive_control(tmp_path, capsys):
    assert main(["simulate", "--outdir", str(tmp_path / "x")]) == 0
    assert "chr17:81996846 -> chrX:49034251" in capsys.readouterr().out
    for name in ("genome.fa.gz", "sample.bam", "truth.json", "reads_1.fq.gz", "windows.fa"):
        assert (tmp_path / "x" / name).exists()
    assert main(["simulate", "--outdir", str(tmp_path / "y"), "--aligner", "star",
                 "--assay", "dna"]) == 2  # fmt: skip


def test_real_aligner_output_lifts_back(simulate_fixture, tmp_path):
    result = simulate_fixture(assay="dna", aligner="bwa", background=5.0, seed=5)
    windows = tmp_path / "windows.fa"
    shutil.copyfile(result.windows, windows)
    subprocess.run(["bwa", "index", str(windows)], check=True, capture_output=True)
    with open(tmp_path / "w.sam", "w") as sam:
        subprocess.run(
            ["bwa", "mem", str(windows), str(result.fastq1), str(result.fastq2)],
            check=True, stdout=sam, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    lifted = lift_bam(tmp_path / "w.sam", tmp_path / "lifted.bam", result.genome)
    samtools("quickcheck", str(lifted))
    ours = {(r.query_name, r.is_read1): r for r in records(result.bam) if not r.is_supplementary}
    theirs = [r for r in records(lifted) if not r.is_supplementary and not r.is_secondary]
    same = sum(
        1
        for r in theirs
        if (r.query_name, r.is_read1) in ours
        and ours[(r.query_name, r.is_read1)].reference_name == r.reference_name
        and abs(ours[(r.query_name, r.is_read1)].reference_start - r.reference_start) <= 5
    )
    assert same >= 0.95 * len(ours)
    fusion = result.load_truth()["fusions"][0]
    sa_hits = {r.get_tag("SA").split(",")[0] for r in records(lifted) if r.has_tag("SA")}
    assert fusion["breakpoint_3p"].split(":")[0] in sa_hits


# --- panel designs and library options --------------------------------------------------------


@pytest.mark.parametrize("name", list(PANELS))
def test_panel_records_are_consistent(simulate_fixture, name):
    reads = assert_records_consistent(made(simulate_fixture, name))
    spec = PANELS[name]
    if spec.get("no_supplementary") or spec.get("aligner") in ("star", "hisat2"):
        assert not any(r.is_supplementary or r.has_tag("SA") for r in reads)
    if spec.get("aligner", "bwa" if spec.get("design") == "amp" else "") == "bwa":
        assert not any("N" in r.cigarstring for r in reads)  # BWA-MEM does not splice


def _by_name(bam: Path) -> dict[str, list[pysam.AlignedSegment]]:
    out: dict[str, list[pysam.AlignedSegment]] = defaultdict(list)
    for r in records(bam):
        out[r.query_name].append(r)
    return out


def _fastq_headers(path: Path) -> list[str]:
    with pysam.FastxFile(str(path)) as f:
        return [f"{e.name} {e.comment}" if e.comment else e.name for e in f]


@pytest.mark.parametrize(
    ("name", "pattern"),
    [("amp_bwa_rx", r"[ACGT]{8}"), ("dna_capture_tfe3_rx", r"[ACGT]{8}-[ACGT]{8}"),
     ("single_end_star_chimeric", r"[ACGT]{8}")],
)  # fmt: skip
def test_rx_umis_on_every_record_and_in_the_fastq_comment(simulate_fixture, name, pattern):
    result = made(simulate_fixture, name)
    umis = {f["name"]: f["umi"] for f in result.load_truth()["fragments"]}
    for r in records(result.bam):
        assert re.fullmatch(pattern, r.get_tag("RX")), r.query_name
        assert not r.has_tag("MI")
        if r.query_name in umis:
            assert r.get_tag("RX") == umis[r.query_name]
    headers = _fastq_headers(result.fastq1)
    assert all(re.fullmatch(rf"simulated:\d+ RX:Z:{pattern}", h) for h in headers)


def test_mi_tags_group_copies_whose_raw_umi_differs(simulate_fixture):
    result = made(simulate_fixture, "amp_star_mi")
    fusion = [f for f in result.load_truth()["fragments"] if f["source"] == "fusion"]
    assert len(fusion) == 20  # 10 molecules x 2 copies
    by_name = _by_name(result.bam)
    mi = defaultdict(set)
    for f in fusion:
        for r in by_name[f["name"]]:
            assert r.get_tag("RX") == f["umi"]
            mi[f["molecule"]].add(r.get_tag("MI"))
    assert len(mi) == 10 and all(len(ids) == 1 for ids in mi.values())
    assert len({next(iter(ids)) for ids in mi.values()}) == 10
    header = samtools("view", "-H", str(result.bam))
    assert "GroupReadsByUmi" in header


def test_umi_in_read_name_as_umi_tools_writes_it(simulate_fixture):
    result = made(simulate_fixture, "rna_capture_tfe3_stranded_name")
    names = {r.query_name for r in records(result.bam)}
    assert names and all(re.fullmatch(r"simulated:\d+_[ACGT]{16}", n) for n in names)
    assert not any(r.has_tag("RX") for r in records(result.bam))
    assert set(_fastq_headers(result.fastq1)) >= names
    assert _fastq_headers(result.fastq1) == _fastq_headers(result.fastq2)


def test_pcr_copies_are_unflagged_with_identical_ends(simulate_fixture):
    result = made(simulate_fixture, "amp_bwa_rx")
    truth = result.load_truth()
    by_name = _by_name(result.bam)
    fusion = [f for f in truth["fragments"] if f["source"] == "fusion"]
    assert len(fusion) == 30 and truth["fusions"][0]["read_pairs"] == 30
    assert truth["fusions"][0]["fragments"] == 10
    umi_errors = 0
    for copy in (f for f in fusion if f["copy_of"]):
        original = next(f for f in fusion if f["name"] == copy["copy_of"])
        ends = [
            sorted((r.is_read1, r.is_supplementary, r.reference_name, r.reference_start,
                    r.cigarstring, r.next_reference_start) for r in by_name[f["name"]])
            for f in (copy, original)
        ]  # fmt: skip
        assert ends[0] == ends[1]
        assert not any(r.is_duplicate for r in by_name[copy["name"]])
        mismatches = sum(a != b for a, b in zip(copy["umi"], original["umi"]))
        assert mismatches <= 1
        umi_errors += mismatches
    assert umi_errors >= 1  # umi_error_rate 0.2 over 20 copies
    assert not any(r.is_duplicate for r in records(result.bam))


def test_umi_trap_two_molecules_forty_copies(simulate_fixture):
    sim = simulate_fixture(design="amp", umi="rx", fusion_fragments=2, pcr_copies=40,
                           background=5.0, seed=30)  # fmt: skip
    truth = sim.load_truth()
    fusion = truth["fusions"][0]
    assert (fusion["fragments"], fusion["read_pairs"]) == (2, 80)
    names = {f["name"] for f in truth["fragments"] if f["source"] == "fusion"}
    on_aspscr1 = [r for r in records(sim.bam) if r.reference_name == "chr17"]
    assert {r.query_name for r in on_aspscr1} == names
    assert len({r.get_tag("RX") for r in on_aspscr1}) == 2
    assert not any(r.is_duplicate for r in on_aspscr1)


def test_amp_reads_start_at_the_primers_and_aspscr1_only_in_fusions(simulate_fixture):
    result = made(simulate_fixture, "amp_star_mi")
    truth = result.load_truth()
    primers = truth["library"]["primers"]
    assert [p["exon"] for p in primers] == [4, 5, 6, 7, 8]
    starts = {int(p["read_start"].split(":")[1]) for p in primers}
    tfe3 = load("GRCh37")["TFE3"]
    assert starts == {tfe3.exon(n).end - 44 for n in (4, 5, 6, 7, 8)}
    read2_on_x = [r for r in records(result.bam) if r.is_read2 and r.reference_name == "X"]
    assert len(read2_on_x) >= 5 * 20 * 2
    assert all(not r.is_reverse and r.reference_start + 1 in starts for r in read2_on_x)
    fusion_names = {f["name"] for f in truth["fragments"] if f["source"] == "fusion"}
    on_17 = {r.query_name for r in records(result.bam) if r.reference_name == "17"}
    assert on_17 == fusion_names
    # every fusion read 2 crosses TFE3 exon 6's start into ASPSCR1 exon 7
    assert truth["fusions"][0]["split_fragments"] == 10


def _gene_reads(reads, tx, lo: int | None = None, hi: int | None = None) -> int:
    lo, hi = lo or tx.start, hi or tx.end
    return sum(
        1 for r in reads
        if ContigStyle("chr").from_bam(r.reference_name) == tx.chrom
        and r.reference_start < hi and r.reference_end > lo and not r.is_supplementary
    )  # fmt: skip


def test_tfe3_only_capture_leaves_aspscr1_nearly_empty(simulate_fixture):
    models = load("GRCh38")
    aspscr1, tfe3 = models["ASPSCR1"], models["TFE3"]
    rna = simulate_fixture(design="rna_capture", fusion_fragments=0, background=100.0, seed=31)
    reads = records(rna.bam)
    assert _gene_reads(reads, tfe3) >= 600
    assert _gene_reads(reads, aspscr1) <= 10
    dna = simulate_fixture(design="dna_capture", fusion_fragments=0, background=12.0, seed=32)
    reads = records(dna.bam)
    assert _gene_reads(reads, aspscr1) == 0
    assert _gene_reads(reads, tfe3, *tfe3.intron(5)) >= 100  # baited junction intron
    lo, hi = tfe3.intron(1)
    assert _gene_reads(reads, tfe3, lo + 500, hi - 500) == 0  # an unbaited intron
    positive = made(simulate_fixture, "dna_capture_tfe3_rx")
    names = {f["name"] for f in positive.load_truth()["fragments"] if f["source"] == "fusion"}
    on_aspscr1 = {r.query_name for r in records(positive.bam) if r.reference_name == "chr17"}
    assert on_aspscr1 and on_aspscr1 <= names


def _mismatch_types(reads) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for r in reads:
        seq = r.query_sequence
        for q, _, ref in r.get_aligned_pairs(matches_only=True, with_seq=True):
            if ref.islower():
                counts[ref.upper() + ">" + seq[q]] += 1
    return counts


def test_ffpe_short_inserts_damage_duplicates_and_three_prime_bias(simulate_fixture):
    ffpe = made(simulate_fixture, "ffpe_star")
    plain = simulate_fixture(aligner="star", background=60.0, base_error_rate=0.002, seed=25)
    ffpe_reads, plain_reads = records(ffpe.bam), records(plain.bam)
    assert {r.query_length for r in ffpe_reads} == {75}
    spec = ffpe.load_truth()["spec"]
    assert (spec["fragment_mean"], spec["read_length"], spec["ffpe"]) == (140, 75, True)
    assert sum(r.is_duplicate for r in ffpe_reads) >= 0.15 * len(ffpe_reads)

    def damage_ratio(reads) -> float:
        types = _mismatch_types(reads)
        deamination = types["C>T"] + types["G>A"]
        return deamination / max(1, sum(types.values()) - deamination)

    assert damage_ratio(ffpe_reads) > 1.0 > 0.5 > damage_ratio(plain_reads)
    tfe3 = load("GRCh38")["TFE3"]
    last = tfe3.exon(10)

    def three_prime_share(reads) -> float:
        return _gene_reads(reads, tfe3, last.start, last.end) / _gene_reads(reads, tfe3)

    assert three_prime_share(ffpe_reads) > 0.9 > 0.75 > three_prime_share(plain_reads)


def test_stranded_read1_is_antisense_to_the_transcript(simulate_fixture):
    result = made(simulate_fixture, "rna_capture_tfe3_stranded_name")
    models = load("GRCh38")
    checked = 0
    for r in records(result.bam):
        for tx in (models["TFE3"], models["ASPSCR1"]):
            if r.reference_name == tx.chrom and tx.start <= r.reference_start <= tx.end:
                sense = r.is_reverse == (tx.strand == "-")
                assert sense != r.is_read1, r.query_name
                checked += 1
    assert checked >= 400


@pytest.mark.parametrize("name", ["single_end_star_chimeric", "single_end_stranded_hisat2"])
def test_single_end_has_read1_only_and_every_fusion_read_crosses(simulate_fixture, name):
    result = made(simulate_fixture, name)
    reads = records(result.bam)
    assert reads and not any(r.is_paired or r.is_read2 or r.next_reference_id != -1 for r in reads)
    assert result.fastq2 is None and not (result.outdir / "reads_2.fq.gz").exists()
    truth = result.load_truth()
    assert truth["library"]["paired"] is False
    fusion = truth["fusions"][0]
    assert (fusion["split_fragments"], fusion["spanning_fragments"]) == (10, 0)
    if PANELS[name].get("stranded"):
        assert all(f["kind"] == "split" for f in truth["fragments"] if f["source"] == "fusion")


def test_no_supplementary_leaves_soft_clipped_junction_reads(simulate_fixture):
    result = made(simulate_fixture, "consensus_bwa_rna_mi")
    truth = result.load_truth()
    split = {f["name"] for f in truth["fragments"] if f["kind"] == "split"}
    reads = records(result.bam)
    assert not any(r.is_supplementary or r.has_tag("SA") for r in reads)
    clipped = {r.query_name for r in reads if r.query_name in split and "S" in r.cigarstring}
    assert clipped == split and len(split) == 5


def test_intronic_chimeras_join_points_deep_in_introns(simulate_fixture):
    result = made(simulate_fixture, "bwa_rna")
    truth = result.load_truth()
    models = load("GRCh38")
    sites = truth["artefacts"]["intronic_chimeras"]
    assert len(sites) == 4
    assert len({(s["breakpoint_5p"], s["breakpoint_3p"]) for s in sites}) == 4
    for s in sites:
        for key, gene in (("breakpoint_5p", "ASPSCR1"), ("breakpoint_3p", "TFE3")):
            pos = int(s[key].split(":")[1])
            tx = models[gene]
            assert tx.intron_at(pos) is not None
            assert min(abs(pos - b) for e in tx.exons for b in (e.start, e.end)) >= 400
    names = [f["name"] for f in truth["fragments"] if f["source"] == "intronic_chimera"]
    assert len(names) == 4
    by_name = _by_name(result.bam)
    for n in names:  # one read split across the two genes, linked by SA
        assert {r.reference_name for r in by_name[n] if r.has_tag("SA")} == {"chr17", "chrX"}


def test_design_options_are_checked():
    for bad in (
        dict(design="amp", stranded=True),
        dict(design="amp", baits="both"),
        dict(design="wts", baits="TFE3"),
        dict(design="dna_capture", assay="rna"),
        dict(assay="dna", stranded=True),
        dict(assay="dna", intronic_chimeras=2),
        dict(umi="barcode"),
        dict(umi_error_rate=0.1),
        dict(pcr_copies=0),
        dict(design="amp", junction=(7, 9)),
    ):
        with pytest.raises(UsageError):
            spec = SimulationSpec(**bad)
            simulate(spec, Path("/nonexistent/never-written"))
    assert SimulationSpec(design="dna_capture").baits == "TFE3"
    assert SimulationSpec(assay="dna").baits == "both"
    assert SimulationSpec(design="amp").aligner == "bwa"


def test_panel_fixture_is_deterministic(tmp_path):
    spec = SimulationSpec(design="amp", umi="mi", pcr_copies=3, umi_error_rate=0.3, ffpe=True,
                          base_error_rate=0.01, background=10.0, seed=33)  # fmt: skip
    a = simulate(spec, tmp_path / "a")
    b = simulate(spec, tmp_path / "b")
    names = sorted(p.name for p in a.outdir.iterdir())
    assert names == sorted(p.name for p in b.outdir.iterdir())
    for n in names:
        assert filecmp.cmp(a.outdir / n, b.outdir / n, shallow=False), n


def test_cli_panel_options(tmp_path, capsys):
    args = ["simulate", "--outdir", str(tmp_path / "amp"), "--design", "amp", "--umi", "rx",
            "--pcr-copies", "2", "--background", "5"]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "10 split, 0 spanning molecules in 20 read pairs" in out
    assert "amp (rna, baits TFE3, bwa): 35 molecules" in out
    spec = json.loads((tmp_path / "amp" / "truth.json").read_text())["spec"]
    assert (spec["design"], spec["umi"], spec["pcr_copies"]) == ("amp", "rx", 2)
    assert main(["simulate", "--outdir", str(tmp_path / "x"), "--design", "amp",
                 "--single-end"]) == 2  # fmt: skip


def test_bwa_mem_keeps_the_fastq_umi_comment(simulate_fixture, tmp_path):
    result = simulate_fixture(design="amp", umi="rx", pcr_copies=2, background=5.0, seed=34)
    windows = tmp_path / "windows.fa"
    shutil.copyfile(result.windows, windows)
    subprocess.run(["bwa", "index", str(windows)], check=True, capture_output=True)
    with open(tmp_path / "w.sam", "w") as sam:
        subprocess.run(
            ["bwa", "mem", "-C", str(windows), str(result.fastq1), str(result.fastq2)],
            check=True, stdout=sam, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    lifted = lift_bam(tmp_path / "w.sam", tmp_path / "lifted.bam", result.genome)
    ours = {r.query_name: r.get_tag("RX") for r in records(result.bam)}
    theirs = records(lifted)
    assert len(theirs) >= len(ours) and all(r.get_tag("RX") == ours[r.query_name] for r in theirs)
    fusion = {f["name"] for f in result.load_truth()["fragments"] if f["source"] == "fusion"}
    split_by_bwa = {r.query_name for r in theirs if r.has_tag("SA") and r.reference_name == "chr17"}
    assert split_by_bwa == fusion
