"""The VCF: real REF bases from the genome FASTA, one sample column of counts, and a file that
`bcftools norm -f FASTA` (the usual gate before a VCF enters a lab's database) accepts."""

import subprocess
import sys

import pysam
import pytest

from fusioncheck.errors import InputError
from fusioncheck.genes import load
from fusioncheck.output import write_result
from fusioncheck.report.vcf import write_vcf
from fusioncheck.scan import scan


@pytest.fixture(scope="module")
def positive(simulate_fixture, tmp_path_factory):
    """(simulation, result JSON path, result) of a STAR positive scanned with its FASTA."""
    sim = simulate_fixture(aligner="star")
    result = scan(sim.bam, sample="S1", reference=sim.genome)
    assert result["call"] == "DETECTED"
    json_path, _ = write_result(result, tmp_path_factory.mktemp("scan"))
    return sim, json_path, result


def report(json_path, outdir, *extra):
    proc = subprocess.run(
        [sys.executable, "-m", "fusioncheck", "report", json_path, "--outdir", outdir, "--no-pdf"]
        + [str(e) for e in extra],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return outdir / "S1.vcf"


def bcftools_norm(vcf, fasta):
    return subprocess.run(
        ["bcftools", "norm", "-f", str(fasta), "-o", "/dev/null", str(vcf)],
        capture_output=True,
        text=True,
    )


def test_ref_is_the_genome_base_and_passes_bcftools_norm(positive, tmp_path):
    sim, json_path, _ = positive
    vcf = report(json_path, tmp_path, "--reference", sim.genome)
    with pysam.VariantFile(str(vcf)) as handle, pysam.FastaFile(str(sim.genome)) as fasta:
        records = list(handle)
        bases = {r.id: fasta.fetch(r.chrom, r.pos - 1, r.pos).upper() for r in records}
        assert {r.id: r.ref for r in records} == bases
        # The simulated genome's bases at the GRCh38 ex7::ex6 breakends.
        assert {r.id: (r.ref, r.alts[0]) for r in records} == {
            "fc1_5p": ("G", "G]chrX:49034251]"),
            "fc1_3p": ("A", "A]chr17:81996846]"),
        }
    norm = bcftools_norm(vcf, sim.genome)
    assert norm.returncode == 0, norm.stderr


def test_without_a_fasta_ref_is_n_which_bcftools_norm_refuses(positive, tmp_path):
    sim, json_path, _ = positive
    vcf = report(json_path, tmp_path)
    with pysam.VariantFile(str(vcf)) as handle:
        assert [r.ref for r in handle] == ["N", "N"]
    norm = bcftools_norm(vcf, sim.genome)
    assert norm.returncode != 0
    assert "Reference allele mismatch" in norm.stderr


def test_sample_column_carries_split_spanning_and_molecule_counts(positive, tmp_path):
    sim, json_path, result = positive
    fusion = result["fusions"][0]
    vcf = report(json_path, tmp_path, "--reference", sim.genome)
    with pysam.VariantFile(str(vcf)) as handle:
        assert list(handle.header.samples) == ["S1"]
        assert sorted(handle.header.formats) == ["MOL", "SP", "SR"]
        assert handle.header.formats["MOL"].type == "Integer"
        counts = [dict(r.samples["S1"]) for r in handle]
    expected = {
        "SR": fusion["split_reads"],
        "SP": fusion["spanning_pairs"],
        "MOL": fusion["supporting_fragments"],
    }
    assert counts == [expected, expected]
    assert expected == {"SR": 5, "SP": 0, "MOL": 5}
    query = subprocess.run(
        ["bcftools", "query", "-f", "%ID[\t%SR\t%SP\t%MOL]\n", str(vcf)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert query.stdout == "fc1_5p\t5\t0\t5\nfc1_3p\t5\t0\t5\n"


def test_a_fasta_of_another_build_is_refused(positive, tmp_path):
    _, _, result = positive
    fasta = tmp_path / "small.fa"
    fasta.write_text(">chr17\n" + "ACGT" * 25 + "\n>chrX\n" + "ACGT" * 25 + "\n")
    pysam.faidx(str(fasta))
    with pytest.raises(InputError, match="no chr17 of GRCh38's length"):
        write_vcf(result, load("GRCh38"), tmp_path / "x.vcf", fasta)
