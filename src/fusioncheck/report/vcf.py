"""VCF 4.3 with a pair of BND records for every fusion in the result JSON.

Bracket notation (VCF 4.3, section 5.4): a breakend keeps the sequence either below its
position (the join is after the REF base: ``t]p]`` / ``t[p[``) or above it (the join is before
it: ``]p]t`` / ``[p[t``), and the bracket shows which side the mate keeps (``]`` = the mate
keeps the part below its position, ``[`` = above).  A 5' partner keeps its 5' part: below the
break on the ``+`` strand, above it on ``-``.  A 3' partner keeps its 3' part: above on ``+``,
below on ``-``.  ASPSCR1(+)::TFE3(-) therefore writes ``N]chrX:49034251]`` at ASPSCR1 and
``N]chr17:81996846]`` at TFE3; the reciprocal TFE3::ASPSCR1 keeps the parts above on both sides.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pysam

from fusioncheck.bamio import open_fasta
from fusioncheck.errors import InputError
from fusioncheck.genes import ASSEMBLY_LENGTHS, ContigStyle, GeneModels

INFO_LINES = (
    ("SVTYPE", "1", "String", "Type of structural variant"),
    ("MATEID", "1", "String", "ID of the mate breakend"),
    ("IMPRECISE", "0", "Flag", "Breakpoint inferred from spanning pairs only"),
    ("FUSION", "1", "String", "Fusion in transcription order, 5' gene::3' gene"),
    ("KIND", "1", "String", "target (ASPSCR1::TFE3), reciprocal or other_partner"),
    ("PARTNER_SIDE", "1", "String", "This breakend is the 5' or the 3' partner (5p/3p)"),
    ("GENE", "1", "String", "Gene (or locus) of this breakend"),
    ("TRANSCRIPT", "1", "String", "Versioned transcript IDs of this gene, |-separated"),
    ("EXON", "1", "Integer", "Exon of this gene at the fusion junction (last 5' / first 3')"),
    ("INTRON", "1", "Integer", "DNA: intron of this gene holding the genomic break"),
    ("SR", "1", "Integer", "Fragments with a read across the junction"),
    ("PE", "1", "Integer", "Spanning pairs (one mate in each partner, no junction read)"),
    ("SU", "1", "Integer", "Supporting fragments"),
    ("FRAME", "1", "String", "Reading frame of the fusion transcript"),
    ("CONFIDENCE", "1", "String", "Confidence of this junction (high/medium/low)"),
    ("TYPE_LABEL", "1", "String", "Literature junction type this corresponds to (inferred)"),
)

#: Per-sample counts (no GT: a breakend's genotype is not what a fusion caller measures).
FORMAT_LINES = (
    ("SR", "1", "Integer", "Fragments with a read across the junction in this sample"),
    ("SP", "1", "Integer", "Spanning pairs in this sample (one mate in each partner)"),
    (
        "MOL",
        "1",
        "Integer",
        "Supporting molecules (fragments, duplicates and UMI copies collapsed) in this sample",
    ),
)

FILTER_LINES = (
    ("low_support", "Fewer supporting fragments than min_support"),
    ("no_split_read", "Fewer reads across the junction than min_split_reads"),
    ("not_passed", "Listed for information; did not pass the support rules"),
)

_ENCODE = {c: f"%{ord(c):02X}" for c in "%;=, \t\r\n"}


def _info_string(value: object) -> str:
    """VCF 4.3 percent encoding for the characters an INFO value may not hold."""
    text = str(value).replace(" / ", "|")
    return "".join(_ENCODE.get(c, c) for c in text)


def _split(position: str) -> tuple[str, int]:
    chrom, _, pos = position.rpartition(":")
    return chrom, int(pos)


def bnd_alt(
    own_below: bool, mate_chrom: str, mate_pos: int, mate_below: bool, ref: str = "N"
) -> str:
    """The ALT of a breakend in VCF bracket notation."""
    bracket = "]" if mate_below else "["
    mate = f"{bracket}{mate_chrom}:{mate_pos}{bracket}"
    return f"{ref}{mate}" if own_below else f"{mate}{ref}"


def _v43_header() -> pysam.VariantHeader:
    """An empty VCFv4.3 header.  pysam's VariantHeader() is fixed at 4.2 and its version is
    read-only, but a header parsed from text keeps the version it was given."""
    with tempfile.TemporaryDirectory(prefix="fusioncheck-vcf-") as tmp:
        base = Path(tmp) / "base.vcf"
        base.write_text("##fileformat=VCFv4.3\n#" + "\t".join(_COLUMNS) + "\n")
        with pysam.VariantFile(str(base)) as handle:
            return handle.header.copy()


_COLUMNS = ("CHROM", "POS", "ID", "REF", "ALT", "QUAL", "FILTER", "INFO")


def _assembly_lengths(result: dict[str, Any], models: GeneModels) -> dict[str, int]:
    """Contig lengths of the result's build, in the result's contig naming."""
    return {
        ContigStyle(result["contig_style"]).to_bam(c): n
        for c, n in ASSEMBLY_LENGTHS[models.build].items()
    }


def ref_bases(
    result: dict[str, Any], models: GeneModels, reference: str | Path | None
) -> dict[tuple[str, int], str]:
    """The REF base at every breakend: from the genome FASTA when given (so that
    `bcftools norm -f FASTA` accepts the file), else ``N`` (VCF's "any base")."""
    points = [
        _split(fusion[key])
        for fusion in result["fusions"]
        for key in ("breakpoint_5p", "breakpoint_3p")
    ]
    if reference is None:
        return dict.fromkeys(points, "N")
    lengths = _assembly_lengths(result, models)
    with open_fasta(Path(reference)) as fasta:
        held = dict(zip(fasta.references, fasta.lengths))
        for chrom, _ in points:
            if chrom not in held or held[chrom] != lengths.get(chrom, held[chrom]):
                raise InputError(
                    f"{reference}: no {chrom} of {models.build}'s length in this FASTA; pass "
                    f"the FASTA sample {result['sample']} was scanned with"
                )
        return {(c, p): fasta.fetch(c, p - 1, p).upper() for c, p in points}


def _header(result: dict[str, Any], models: GeneModels, chroms: list[str]) -> pysam.VariantHeader:
    header = _v43_header()
    header.add_line(f"##source=fusioncheck {result['tool']['version']}")
    header.add_line(f"##reference={result['build']}")
    lengths = _assembly_lengths(result, models)
    for name, length in lengths.items():
        header.contigs.add(name, length=length, assembly=result["build"])
    for chrom in chroms:
        if chrom not in lengths:
            header.contigs.add(chrom, assembly=result["build"])
    for key, number, kind, desc in INFO_LINES:
        header.info.add(key, number, kind, desc)
    for key, number, kind, desc in FORMAT_LINES:
        header.formats.add(key, number, kind, desc)
    for key, desc in FILTER_LINES:
        header.filters.add(key, None, None, desc)
    header.add_line(f"##fusioncheck_call={result['call']}")
    header.add_sample(result["sample"])
    return header


def _filters(fusion: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    if fusion["passed"]:
        return ["PASS"]
    reasons = []
    min_support = thresholds.get("min_support")
    min_split = thresholds.get("min_split_reads")
    if isinstance(min_support, int) and fusion["supporting_fragments"] < min_support:
        reasons.append("low_support")
    if isinstance(min_split, int) and fusion["split_reads"] < min_split:
        reasons.append("no_split_read")
    return reasons or ["not_passed"]


_Record = tuple[str, int, str, str, str, list[str], dict[str, Any], dict[str, int]]


def _fusion_records(
    i: int, fusion: dict[str, Any], bases: dict[tuple[str, int], str], thresholds: dict[str, Any]
) -> list[_Record]:
    """The two mate BND records of fusion number ``i``."""
    c5, p5 = _split(fusion["breakpoint_5p"])
    c3, p3 = _split(fusion["breakpoint_3p"])
    below5 = fusion["side_5p"] == "below"
    below3 = fusion["side_3p"] == "below"
    id5, id3 = f"fc{i}_5p", f"fc{i}_3p"
    shared: dict[str, Any] = {
        "SVTYPE": "BND",
        "FUSION": _info_string(f"{fusion['five_prime_gene']}::{fusion['three_prime_gene']}"),
        "KIND": fusion["kind"],
        "SR": fusion["split_reads"],
        "PE": fusion["spanning_pairs"],
        "SU": fusion["supporting_fragments"],
        "FRAME": fusion["reading_frame"],
        "CONFIDENCE": fusion["confidence"],
    }
    if fusion["type_label"]:
        shared["TYPE_LABEL"] = _info_string(fusion["type_label"])
    if fusion["breakpoint_precision"] == "imprecise":
        shared["IMPRECISE"] = True
    counts = {
        "SR": fusion["split_reads"],
        "SP": fusion["spanning_pairs"],
        "MOL": fusion["supporting_fragments"],
    }
    filters = _filters(fusion, thresholds)
    out: list[_Record] = []
    for side, chrom, pos, own, mate, mate_id, own_id in (
        ("5p", c5, p5, below5, (c3, p3, below3), id3, id5),
        ("3p", c3, p3, below3, (c5, p5, below5), id5, id3),
    ):
        gene = fusion["five_prime_gene" if side == "5p" else "three_prime_gene"]
        info = dict(shared, MATEID=mate_id, PARTNER_SIDE=side, GENE=_info_string(gene))
        for key, field in (
            ("TRANSCRIPT", f"transcript_{side}"),
            ("EXON", f"exon_{side}"),
            ("INTRON", f"intron_{side}"),
        ):
            if fusion[field] is not None:
                value = fusion[field]
                info[key] = _info_string(value) if isinstance(value, str) else value
        ref = bases[chrom, pos]
        alt = bnd_alt(own, *mate, ref=ref)
        out.append((chrom, pos, own_id, ref, alt, filters, info, counts))
    return out


def write_vcf(
    result: dict[str, Any],
    models: GeneModels,
    path: str | Path,
    reference: str | Path | None = None,
) -> Path:
    """Write ``path`` (plain-text VCF 4.3) with two mate BND records per fusion and one
    sample column; REF bases come from ``reference`` (the genome FASTA) when given."""
    path = Path(path)
    bases = ref_bases(result, models, reference)
    records = [
        record
        for i, fusion in enumerate(result["fusions"], start=1)
        for record in _fusion_records(i, fusion, bases, result["thresholds"])
    ]
    header = _header(result, models, sorted({r[0] for r in records}))
    order = {name: i for i, name in enumerate(header.contigs)}
    records.sort(key=lambda r: (order[r[0]], r[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    with pysam.VariantFile(str(path), "w", header=header) as out:
        for chrom, pos, rid, ref, alt, filters, info, counts in records:
            rec = out.new_record(
                contig=chrom, start=pos - 1, stop=pos, alleles=(ref, alt), id=rid, filter=filters
            )
            for key, value in info.items():
                rec.info[key] = value
            for key, value in counts.items():
                rec.samples[result["sample"]][key] = value
            out.write(rec)
    return path
