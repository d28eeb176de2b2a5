"""End to end with real aligners: reads simulated from the fixture genome are aligned by STAR
(with and without chimeric output) and BWA-MEM, so the evidence the scan sees is what those
aligners really write, not what the simulator imagines they write.

The aligners index ``windows.fa`` (each gene window as a small contig, so an index takes a
second); :func:`lift_bam` then moves the alignments back onto the real chromosomes.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pysam
import pytest

from builders import validate
from fusioncheck.config import Thresholds
from fusioncheck.scan import scan
from fusioncheck.simulate.lift import lift_bam

STAR_CHIMERIC = [
    "--chimSegmentMin", "12", "--chimJunctionOverhangMin", "12", "--chimOutType", "WithinBAM",
]  # fmt: skip


def star(sim, workdir: Path, extra: list[str]) -> Path:
    index = workdir / "star_index"
    if not index.exists():
        subprocess.run(
            ["STAR", "--runMode", "genomeGenerate", "--genomeDir", str(index),
             "--genomeFastaFiles", str(sim.windows), "--sjdbGTFfile", str(sim.gtf),
             "--sjdbOverhang", "99", "--genomeSAindexNbases", "8", "--runThreadN", "2",
             "--outFileNamePrefix", f"{workdir}/index_"],
            check=True, capture_output=True,
        )  # fmt: skip
    out = workdir / "star"
    out.mkdir()
    subprocess.run(
        ["STAR", "--genomeDir", str(index), "--readFilesIn", str(sim.fastq1), str(sim.fastq2),
         "--readFilesCommand", "zcat", "--outSAMtype", "BAM", "Unsorted", "--runThreadN", "2",
         "--outSAMattributes", "NH", "HI", "AS", "nM", "NM", "MD",
         "--outFileNamePrefix", f"{out}/", *extra],
        check=True, capture_output=True,
    )  # fmt: skip
    return lift_bam(out / "Aligned.out.bam", out / "lifted.bam", sim.genome)


def bwa(sim, workdir: Path) -> Path:
    ref = workdir / "windows.fa"
    shutil.copyfile(sim.windows, ref)
    subprocess.run(["bwa", "index", str(ref)], check=True, capture_output=True)
    sam = workdir / "aligned.sam"
    with open(sam, "w") as handle:
        subprocess.run(
            ["bwa", "mem", "-t", "2", str(ref), str(sim.fastq1), str(sim.fastq2)],
            check=True, stdout=handle, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return lift_bam(sam, workdir / "lifted.bam", sim.genome)


def hisat2(sim, workdir: Path) -> Path:
    index = workdir / "hisat2_index"
    subprocess.run(["hisat2-build", "-q", str(sim.windows), str(index)], check=True)
    sam = workdir / "hisat2.sam"
    with open(sam, "w") as handle:
        subprocess.run(
            ["hisat2", "-p", "2", "-x", str(index), "-1", str(sim.fastq1), "-2", str(sim.fastq2)],
            check=True, stdout=handle, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    return lift_bam(sam, workdir / "hisat2.bam", sim.genome)


def scanned(bam: Path, sim) -> tuple[dict, dict]:
    out = scan(bam, sample="real", reference=sim.genome)
    validate(out)
    return out, sim.load_truth()


def written_fusion_fragments(bam: Path, truth: dict) -> dict[str, int]:
    """The simulated fusion fragments, by kind, that the aligner wrote with both reads placed
    uniquely (MAPQ >= the scan's min_mapq).  Real aligners leave some reads unmapped (STAR's
    default keeps a pair only when 66% of it maps) and call reads inside TFE3 exon 6 multi-
    mapping (the fixture genome holds a processed-pseudogene copy of it): those fragments
    cannot be evidence, and are the explained differences from what the simulator put in."""
    with pysam.AlignmentFile(str(bam)) as f:
        unique = Counter(
            r.query_name for r in f.fetch(until_eof=True)
            if not (r.is_unmapped or r.is_secondary or r.is_supplementary)
            and r.mapping_quality >= Thresholds().min_mapq
        )  # fmt: skip
    kinds = Counter(
        f["kind"] for f in truth["fragments"] if f["source"] == "fusion" and unique[f["name"]] == 2
    )
    return {"split": kinds["split"], "spanning": kinds["spanning"]}


def detected_as_simulated(bam: Path, sim) -> tuple[dict, dict, dict]:
    """The DETECTED target record, after checking its breakpoints against the truth."""
    out, truth = scanned(bam, sim)
    expected = truth["fusions"][0]
    assert out["call"] == "DETECTED", out["call_reason"]
    fusion = the_target(out)
    assert (fusion["breakpoint_5p"], fusion["breakpoint_3p"]) == (
        expected["breakpoint_5p"],
        expected["breakpoint_3p"],
    )
    return fusion, expected, truth


def the_target(out: dict) -> dict:
    (fusion,) = [f for f in out["fusions"] if f["kind"] == "target"]
    return fusion


@pytest.fixture(scope="module")
def rna(simulate_fixture):
    return simulate_fixture(fusion_fragments=12, background=100.0, seed=11)


def test_star_chimeric_output(rna, tmp_path):
    bam = star(rna, tmp_path, STAR_CHIMERIC)
    out, truth = scanned(bam, rna)
    expected = truth["fusions"][0]
    assert (out["call"], out["confidence"]) == ("DETECTED", "high")
    fusion = the_target(out)
    for key in ("breakpoint_5p", "breakpoint_3p", "exon_5p", "exon_3p", "reading_frame"):
        assert fusion[key] == expected[key]
    # Every fusion fragment STAR wrote counts once; a junction read STAR did not split (no SA)
    # is still found as a soft clip.
    written = written_fusion_fragments(bam, truth)
    assert fusion["split_reads"] == written["split"] <= expected["split_fragments"]
    assert fusion["spanning_pairs"] == written["spanning"] <= expected["spanning_fragments"]
    assert written["split"] + written["spanning"] >= 0.75 * expected["fragments"]


def test_star_default_output_soft_clips_only(rna, tmp_path):
    bam = star(rna, tmp_path, [])
    fusion, expected, truth = detected_as_simulated(bam, rna)
    # Default STAR writes no chimeric alignment: every junction read is a soft-clipped anchor
    # (found through the FASTA), and the pairs with one mate in each gene are not written at
    # all (they fail STAR's 66%-of-pair mapped-length filter), so spanning pairs are 0.
    assert fusion["split_reads"] == written_fusion_fragments(bam, truth)["split"]
    assert fusion["spanning_pairs"] == 0
    # Without the FASTA the same BAM cannot be called negative.
    assert scan(bam, sample="real")["call"] == "INDETERMINATE"


def test_star_default_unmapped_tail_gives_back_the_dropped_junction_reads(rna, tmp_path):
    """With --outSAMunmapped Within, the pairs STAR's 66% rule dropped are in the BAM's
    unmapped tail; reading it (--unmapped-tail) recovers every junction read."""
    bam = star(rna, tmp_path, ["--outSAMunmapped", "Within"])
    windows_only = scan(bam, sample="real", reference=rna.genome)
    with_tail = scan(bam, sample="real", reference=rna.genome, unmapped_tail=True)
    validate(with_tail)
    expected = rna.load_truth()["fusions"][0]
    assert the_target(with_tail)["split_reads"] == expected["split_fragments"]
    assert the_target(windows_only)["split_reads"] < expected["split_fragments"]
    assert (the_target(with_tail)["breakpoint_5p"], the_target(with_tail)["breakpoint_3p"]) == (
        expected["breakpoint_5p"],
        expected["breakpoint_3p"],
    )


def test_hisat2_leaves_junction_reads_unmapped_and_they_are_rescued(rna, tmp_path):
    bam = hisat2(rna, tmp_path)
    with pysam.AlignmentFile(str(bam)) as f:
        unmapped_beside_mate = sum(
            1 for r in f.fetch(until_eof=True) if r.is_unmapped and not r.mate_is_unmapped
        )
    assert unmapped_beside_mate > 0  # what HISAT2 does with a read across a fusion junction
    fusion, expected, truth = detected_as_simulated(bam, rna)
    # Each junction read comes back from the unmapped mate placed beside its partner; the
    # spanning pairs are those HISAT2 wrote as discordant pairs.
    written = written_fusion_fragments(bam, truth)
    assert fusion["split_reads"] == expected["split_fragments"]
    assert fusion["spanning_pairs"] == written["spanning"]
    # Without the FASTA the unmapped reads cannot be checked: never a negative.
    blind = scan(bam, sample="real")
    assert blind["call"] == "INDETERMINATE"
    assert blind["qc"]["unchecked_unmapped_reads"] >= expected["split_fragments"]


def test_star_chimeric_negative(simulate_fixture, tmp_path):
    sim = simulate_fixture(fusion_fragments=0, background=400.0, seed=12)
    out, _ = scanned(star(sim, tmp_path, STAR_CHIMERIC), sim)
    assert out["call"] == "NOT_DETECTED", out["call_reason"]


@pytest.mark.parametrize(("build", "style"), [("GRCh38", "chr"), ("GRCh37", "plain")])
def test_bwa_mem_dna_panel(simulate_fixture, tmp_path, build, style):
    sim = simulate_fixture(assay="dna", build=build, contig_style=style, background=30.0, seed=13)
    out, truth = scanned(bwa(sim, tmp_path), sim)
    expected = truth["fusions"][0]
    assert (out["call"], out["assay"]) == ("DETECTED", "dna")
    fusion = the_target(out)
    for key in ("breakpoint_5p", "breakpoint_3p", "intron_5p", "intron_3p", "exon_5p", "exon_3p"):
        assert fusion[key] == expected[key], key
    written = written_fusion_fragments(tmp_path / "lifted.bam", truth)
    assert (written["split"], written["spanning"]) == (
        expected["split_fragments"],
        expected["spanning_fragments"],
    )  # BWA-MEM writes every read
    assert fusion["split_reads"] == expected["split_fragments"]
    assert fusion["spanning_pairs"] == expected["spanning_fragments"]
