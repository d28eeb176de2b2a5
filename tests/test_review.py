"""Evidence a reviewer can open: the evidence BAM, the IGV session, the junction sequence.

The evidence BAM must agree with the JSON record by record (molecules counted from its tags the
way the scan counts them), hold every alignment of each fragment it names, and the IGV
session must be valid XML naming files that exist.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import pysam
import pytest

from builders import validate
from fusioncheck import molecules
from fusioncheck.cli import main
from fusioncheck.genes import ContigStyle, Exon, Transcript
from fusioncheck.model import Breakend, FusionRecord, from_dict
from fusioncheck.sequence import joined_sequence

#: Seed 1 of the simulator, GRCh38 RNA: ASPSCR1 exon 7 joined to TFE3 exon 6.
RNA_JUNCTION = (
    "TTAGACCCCCGGCACGTAATTACACGAAATGGTGGATGCATGCCAATGCG|"
    "TTTGGCCGGTCATTTACGGGTCTGGGACGGATTGGGGACTGTGAACTAGT"
)


def scan_cli(sim, out: Path, *extra: str, sample: str = "s") -> dict:
    assert main(["scan", str(sim.bam), "--sample", sample, "--outdir", str(out), *extra]) == 0
    result = json.loads((out / f"{sample}.fusioncheck.json").read_text())
    validate(result)
    return result


@pytest.fixture(scope="module")
def busy(simulate_fixture, tmp_path_factory):
    """Target and reciprocal, PCR duplicates, read-through and scattered chimeric pairs: the
    filters have something to remove."""
    sim = simulate_fixture(
        reciprocal=True, fusion_fragments=6, duplicate_rate=0.3, artefact_pairs=10, read_through=4
    )
    out = tmp_path_factory.mktemp("busy")
    result = scan_cli(sim, out, "--reference", str(sim.genome), "--evidence-bam")
    return sim, out, result


def tags_by_fragment(bam: Path) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with pysam.AlignmentFile(str(bam)) as f:
        for read in f.fetch(until_eof=True):
            tags = {
                t: str(read.get_tag(t)) for t in ("fr", "fe", "fm", "ff", "fp") if read.has_tag(t)
            }
            assert out.setdefault(str(read.query_name), tags) == tags  # one label per fragment
    return out


def test_evidence_bam_molecules_equal_the_json_record_by_record(busy):
    _, out, result = busy
    bam = out / "evidence" / "s.evidence.bam"
    assert subprocess.run(["samtools", "quickcheck", "-v", str(bam)]).returncode == 0
    assert Path(f"{bam}.bai").is_file()
    fragments = tags_by_fragment(bam)
    kinds = [(f["kind"], f["supporting_fragments"], f["split_reads"]) for f in result["fusions"]]
    assert kinds == [("target", 6, 3), ("reciprocal", 6, 3)]
    for n, fusion in enumerate(result["fusions"], 1):
        label = f"{n}:{fusion['five_prime_gene']}::{fusion['three_prime_gene']}"
        mine = {name: t for name, t in fragments.items() if label in t.get("fr", "").split(",")}
        split = [t["fm"] for t in mine.values() if "split" in t["fe"]]
        assert (
            molecules.count([t["fm"] for t in mine.values()], 1) == fusion["supporting_fragments"]
        )
        assert molecules.count(split, 1) == fusion["split_reads"]
        assert len(mine) == fusion["supporting_reads"]
        pair = f"{fusion['five_prime_gene']}::{fusion['three_prime_gene']}"
        removed = Counter(t["ff"] for t in fragments.values() if t.get("fp") == pair)
        assert dict(removed) == fusion["filters"]
    assert result["fusions"][0]["filters"] == {"duplicates": 2, "orientation": 1}


def test_samtools_counts_every_alignment_of_every_fragment_named(busy):
    """Each fragment in the evidence BAM brings all its alignments (mates, supplementary) that
    the scan looked at, and nothing else."""
    sim, out, _ = busy
    bam = out / "evidence" / "s.evidence.bam"
    names = set(tags_by_fragment(bam))
    expected = Counter()
    with pysam.AlignmentFile(str(sim.bam)) as f:
        for read in f.fetch(until_eof=True):
            if read.query_name in names and not read.is_secondary and not read.is_qcfail:
                expected[(read.query_name, read.flag, read.reference_start)] += 1
    with pysam.AlignmentFile(str(bam)) as f:
        got = Counter((r.query_name, r.flag, r.reference_start) for r in f.fetch(until_eof=True))
    assert got == expected
    view = subprocess.run(["samtools", "view", "-c", str(bam)], capture_output=True, text=True)
    assert int(view.stdout) == sum(expected.values())
    assert len(names) == 6 + 6 + 12  # target, reciprocal, removed by a filter


def test_filtered_reads_are_tagged_with_the_filter_that_removed_them(busy):
    """Fragment by fragment, the filters' tags add up to the JSON's junction filter totals."""
    _, out, result = busy
    tags = tags_by_fragment(out / "evidence" / "s.evidence.bam").values()
    by_filter = Counter(name for t in tags if "ff" in t for name in t["ff"].split(","))
    assert by_filter == {"duplicates": 7, "read_through": 4, "orientation": 1}
    assert {k: v for k, v in result["filters"].items() if v} == by_filter
    assert sum(t["fe"] == "filtered" for t in tags) == 12


def test_igv_session_is_valid_xml_naming_files_that_exist(busy):
    sim, out, result = busy
    session = out / "evidence" / "s.igv.xml"
    root = ET.parse(session).getroot()
    assert root.tag == "Session" and root.get("version") == "8"
    assert (session.parent / root.get("genome")).resolve() == Path(sim.genome).resolve()
    paths = [r.get("path") for r in root.iter("Resource")]
    assert paths[0] == "s.evidence.bam"
    assert (session.parent / paths[1]).resolve() == Path(sim.bam).resolve()
    for p in paths + [r.get("index") for r in root.iter("Resource") if r.get("index")]:
        assert not Path(p).is_absolute() and (session.parent / p).is_file(), p
    loci = root.find("GeneList").text.split()
    assert (
        loci == root.get("locus").split() == ["chr17:81996696-81996996", "chrX:49034101-49034401"]
    )
    assert result["fusions"][0]["breakpoint_5p"] == "chr17:81996846"


def test_junction_sequence_from_the_reference_and_from_the_reads_agree(simulate_fixture, tmp_path):
    sim = simulate_fixture()
    with_fasta = scan_cli(sim, tmp_path / "a", "--reference", str(sim.genome))
    reads_only = scan_cli(sim, tmp_path / "b")
    a, b = with_fasta["fusions"][0], reads_only["fusions"][0]
    assert (a["junction_sequence"], a["junction_sequence_source"]) == (RNA_JUNCTION, "reference")
    assert (b["junction_sequence"], b["junction_sequence_source"]) == (RNA_JUNCTION, "reads")
    tsv = (tmp_path / "a" / "s.fusioncheck.tsv").read_text().splitlines()
    assert tsv[0].split("\t")[-2:] == ["junction_sequence", "junction_sequence_source"]
    assert tsv[1].split("\t")[-2:] == [RNA_JUNCTION, "reference"]


def test_dna_junction_is_the_joined_genome_in_fusion_order(simulate_fixture, tmp_path):
    """TFE3 is on the minus strand: its part is the reverse complement of the genome below the
    break."""
    sim = simulate_fixture(assay="dna", aligner="bwa")
    fusion = scan_cli(sim, tmp_path, "--reference", str(sim.genome))["fusions"][0]
    left, right = fusion["junction_sequence"].split("|")
    with pysam.FastaFile(str(sim.genome)) as fa:
        chrom5, pos5 = fusion["breakpoint_5p"].split(":")
        chrom3, pos3 = fusion["breakpoint_3p"].split(":")
        assert left == fa.fetch(chrom5, int(pos5) - 50, int(pos5)).upper()
        below = fa.fetch(chrom3, int(pos3) - 50, int(pos3)).upper()
    assert right == below[::-1].translate(str.maketrans("ACGT", "TGCA"))


def test_rna_junction_sequence_is_spliced(tmp_path):
    """A 5' partner whose last exons are shorter than the flank: the sequence joins its exons,
    not the genome around the break."""
    fasta = tmp_path / "g.fa"
    fasta.write_text(
        ">chr1\n" + "A" * 20 + "CCCCCGGGGG" + "T" * 20 + "ACGTACGTAC" + "T" * 40 + "\n"
    )
    pysam.faidx(str(fasta))
    five = Transcript("G5", "T5", None, "chr1", "+", "1p", (
        Exon(1, 21, 30, None, None), Exon(2, 51, 60, None, None)))  # fmt: skip
    three = Transcript("G3", "T3", None, "chr1", "+", "1p", (Exon(1, 61, 100, None, None),))
    with pysam.FastaFile(str(fasta)) as fa:
        seq = joined_sequence(
            fa, ContigStyle("chr"), Breakend("chr1", 60, "below"),
            Breakend("chr1", 61, "above"), (five, three), 50,
        )  # fmt: skip
    assert seq == "CCCCCGGGGGACGTACGTAC|" + "T" * 40


def test_results_written_before_the_junction_sequence_still_load(busy):
    _, _, result = busy
    old = {k: v for k, v in result["fusions"][0].items() if not k.startswith("junction_seq")}
    record = from_dict(FusionRecord, old)
    assert (record.junction_sequence, record.junction_sequence_source) == (None, None)


def test_imprecise_record_has_no_junction_sequence(simulate_fixture, tmp_path):
    """Soft clips unchecked without a FASTA leave only the pairs: no junction to read."""
    sim = simulate_fixture(assay="dna", aligner="bwa", no_supplementary=True, fusion_fragments=6)
    (fusion,) = scan_cli(sim, tmp_path)["fusions"]
    assert (fusion["breakpoint_precision"], fusion["spanning_pairs"]) == ("imprecise", 4)
    assert (fusion["junction_sequence"], fusion["junction_sequence_source"]) == (None, None)


# --- the read figure in the report, in real Chromium ------------------------------------------


def test_report_draws_the_supporting_reads_from_the_evidence_bam(busy, browser, tmp_path):
    _, out, result = busy
    assert main(["report", str(out / "s.fusioncheck.json"), "--outdir", str(tmp_path)]) == 0
    page = browser.open(tmp_path / "s.report.html")
    assert page.console_problems() == []
    assert [u for u in page.requests() if u != page.url] == []
    assert page.evaluate("document.querySelectorAll('script, iframe, img, link').length") == 0
    labels = page.evaluate(
        "Array.from(document.querySelectorAll('figure.reads svg'), "
        "s => s.getAttribute('aria-label'))"
    )
    assert labels == [
        "6 supporting molecules at the ASPSCR1::TFE3 junction: 3 split reads, 3 discordant pairs",
        "6 supporting molecules at the TFE3::ASPSCR1 junction: 3 split reads, 3 discordant pairs",
    ]
    body = page.evaluate("document.body.innerText")
    assert result["fusions"][0]["junction_sequence"] in body  # the evidence table shows it
    width = page.evaluate(
        "document.querySelector('figure.reads svg').getBoundingClientRect().width"
    )
    assert width > 500  # drawn at page width, not collapsed
    pdf = subprocess.run(
        ["pdftotext", str(tmp_path / "s.report.pdf"), "-"], capture_output=True, text=True
    )
    assert "6 of 6 supporting molecules from the evidence BAM" in " ".join(pdf.stdout.split())


def test_read_figure_marks_the_bases_that_differ_from_the_junction(
    simulate_fixture, tmp_path, browser
):
    """Sequencing errors show as red ticks on the reads across the junction, one per base that
    differs from the junction sequence (checked against the evidence BAM's reads)."""
    sim = simulate_fixture(base_error_rate=0.03, fusion_fragments=10)
    result = scan_cli(sim, tmp_path, "--reference", str(sim.genome), "--evidence-bam")
    fusion = result["fusions"][0]
    left_ref, right_ref = fusion["junction_sequence"].split("|")
    from fusioncheck.review.drawing import junction_molecules

    drawn = junction_molecules(tmp_path / "evidence" / "s.evidence.bam", 1, fusion)
    split = [m for m in drawn if m.kind == "split"]
    assert len(drawn) == 10 and len(split) == fusion["split_reads"]
    expected = sum(len(m.mismatches) for m in split)
    assert expected > 0
    assert (
        main(
            [
                "report",
                str(tmp_path / "s.fusioncheck.json"),
                "--outdir",
                str(tmp_path / "r"),
                "--no-pdf",
            ]
        )
        == 0
    )
    page = browser.open(tmp_path / "r" / "s.report.html")
    assert (
        page.evaluate("document.querySelectorAll('figure.reads rect.mismatch').length") == expected
    )
    assert page.console_problems() == []


def test_report_without_an_evidence_bam_says_how_to_get_the_figure(busy, tmp_path):
    _, out, _ = busy
    code = main(["report", str(out / "s.fusioncheck.json"), "--outdir", str(tmp_path), "--no-pdf",
                 "--evidence-dir", str(tmp_path / "none")])  # fmt: skip
    assert code == 0
    html = (tmp_path / "s.report.html").read_text()
    assert 'class="reads"' not in html
    assert "no evidence BAM was found (run `fusioncheck scan --evidence-bam`" in html
