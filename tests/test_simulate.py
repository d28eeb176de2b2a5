"""The fixture generator: valid, sorted, indexed BAMs whose records tell the truth."""

from __future__ import annotations

import filecmp
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


@pytest.mark.parametrize("name", list(STYLES))
def test_bam_is_valid_sorted_and_indexed(simulate_fixture, name):
    result = rich(simulate_fixture, name)
    samtools("quickcheck", str(result.bam))
    assert "SO:coordinate" in samtools("view", "-H", str(result.bam)).splitlines()[0]
    assert Path(str(result.bam) + ".bai").exists()
    stats = samtools("idxstats", str(result.bam))
    style = ContigStyle(STYLES[name].get("contig_style", "chr"))
    assert {line.split("\t")[0] for line in stats.splitlines()} == {
        style.to_bam(c) for c in ("chr1", "chr17", "chrX")
    } | {"*"}
    last: dict[int, int] = {}
    for r in records(result.bam):
        assert r.reference_start >= last.get(r.reference_id, 0)
        last[r.reference_id] = r.reference_start
    with pysam.AlignmentFile(str(result.bam)) as f:
        lengths = dict(zip(f.references, f.lengths))
    build = STYLES[name]["build"]
    assert lengths == {style.to_bam(c): n for c, n in pysam_lengths(result.genome).items()}
    assert lengths[style.to_bam("chr17")] == {"GRCh38": 83_257_441, "GRCh37": 81_195_210}[build]


def pysam_lengths(fasta: Path) -> dict[str, int]:
    with pysam.FastaFile(str(fasta)) as f:
        return {ContigStyle("chr").from_bam(n): x for n, x in zip(f.references, f.lengths)}


def _soft_cigar(cigar: str) -> str:
    return cigar.replace("H", "S")


@pytest.mark.parametrize("name", list(STYLES))
def test_sa_mates_md_are_consistent(simulate_fixture, name):
    result = rich(simulate_fixture, name)
    reads = records(result.bam)
    by_read: dict[tuple[str, bool], list[pysam.AlignedSegment]] = defaultdict(list)
    for r in reads:
        by_read[(r.query_name, r.is_read1)].append(r)
    aligner = STYLES[name]["aligner"]
    fasta = pysam.FastaFile(str(result.genome))
    for (qname, is_read1), alns in by_read.items():
        primaries = [a for a in alns if not a.is_supplementary]
        assert len(primaries) == 1, qname
        primary = primaries[0]
        mate_alns = by_read[(qname, not is_read1)]
        mate = next(a for a in mate_alns if not a.is_supplementary)
        for a in alns:
            assert a.next_reference_name == mate.reference_name
            assert a.next_reference_start == mate.reference_start
            assert a.mate_is_reverse == mate.is_reverse
            assert a.get_tag("MC") == mate.cigarstring
            assert a.is_proper_pair == primary.is_proper_pair
            assert a.is_duplicate == primary.is_duplicate
            if a.is_supplementary:
                assert "H" in a.cigarstring and "S" not in a.cigarstring
            if a.is_proper_pair and not a.is_supplementary:
                assert a.reference_name == mate.reference_name
            # MD/NM agree with the genome FASTA
            ref = a.get_reference_sequence()
            blocks = "".join(fasta.fetch(a.reference_name, s, e) for s, e in a.get_blocks())
            assert ref.upper() == blocks.upper()
            assert a.get_tag("NM") == sum(c.islower() for c in ref)
            assert a.query_alignment_sequence is not None
        if not primary.is_supplementary and primary.reference_name == mate.reference_name:
            assert primary.template_length == -mate.template_length != 0
        # every SA entry is an actual record of the same read, and vice versa
        if len(alns) > 1:
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
        else:
            assert not alns[0].has_tag("SA")
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


def test_negative_control_and_expected_calls(simulate_fixture):
    negative = simulate_fixture(fusion_fragments=0, seed=2).load_truth()
    assert negative["expected_call"] == "NOT_DETECTED"
    assert negative["fusions"][0]["split_fragments"] == 0
    assert all(f["source"] != "fusion" for f in negative["fragments"])
    low = simulate_fixture(fusion_fragments=0, background=0.02, seed=3).load_truth()
    assert low["expected_call"] == "INDETERMINATE"
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
