"""State the reads a test needs in a few lines, get a sorted, indexed BAM.

Sequence content is arbitrary (these BAMs are scanned without a reference); the simulator in
``fusioncheck.simulate`` makes realistic fixtures, this makes precise ones.
"""

from __future__ import annotations

import copy
import json
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jsonschema
import pysam

from fusioncheck.genes import CONTIG_LENGTHS

SCHEMA = json.loads(
    (resources.files("fusioncheck") / "schemas" / "fusioncheck.schema.json").read_text()
)


def validate(result: dict) -> None:
    """Raise unless ``result`` is a valid fusioncheck JSON document."""
    jsonschema.validate(result, SCHEMA, cls=jsonschema.Draft202012Validator)


def to_cram(bam: Path, genome: Path, cram: Path) -> Path:
    """``bam`` re-written as an indexed CRAM against ``genome`` (with samtools, as a lab would)."""
    subprocess.run(
        ["samtools", "view", "-C", "-T", str(genome), "-o", str(cram), str(bam)], check=True
    )
    subprocess.run(["samtools", "index", str(cram)], check=True)
    return cram


def header(build: str = "GRCh38", style: str = "chr", sort_order: str = "coordinate") -> dict:
    contigs = CONTIG_LENGTHS[build]
    name = (lambda c: c) if style == "chr" else (lambda c: c.removeprefix("chr"))
    return {
        "HD": {"VN": "1.6", "SO": sort_order},
        "SQ": [{"SN": name(c), "LN": n} for c, n in contigs.items()],
    }


def empty_bam(path: Path) -> Path:
    """A valid, indexed GRCh38 BAM with no reads: enough for everything but a call."""
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": "chr17", "LN": 83_257_441}, {"SN": "chrX", "LN": 156_040_895}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with pysam.AlignmentFile(str(path), "wb", header=header):
        pass
    pysam.index(str(path))
    return path


@dataclass
class BamBuilder:
    build: str = "GRCh38"
    style: str = "chr"
    records: list[dict] = field(default_factory=list)

    def chrom(self, c: str) -> str:
        return c if self.style == "chr" else c.removeprefix("chr")

    def add(
        self,
        name: str,
        chrom: str,
        pos: int,
        cigar: str,
        reverse: bool = False,
        flag: int = 0,
        mapq: int = 60,
        tags: dict | None = None,
        mate: tuple[str, int, bool] | None = None,
        read1: bool = True,
    ) -> None:
        """One record at 1-based ``pos``; ``mate`` = (chrom, pos, reverse) makes it paired."""
        self.records.append(
            dict(
                name=name,
                chrom=self.chrom(chrom),
                pos=pos,
                cigar=cigar,
                reverse=reverse,
                flag=flag,
                mapq=mapq,
                tags=dict(tags or {}),
                mate=None if mate is None else (self.chrom(mate[0]), mate[1], mate[2]),
                read1=read1,
            )
        )

    def write(self, path: Path, index: bool = True) -> Path:
        hdr = pysam.AlignmentHeader.from_dict(header(self.build, self.style))
        unsorted = path.with_suffix(".unsorted.bam")
        with pysam.AlignmentFile(str(unsorted), "wb", header=hdr) as out:
            for r in self.records:
                seg = pysam.AlignedSegment(hdr)
                seg.query_name = r["name"]
                seg.reference_name = r["chrom"]
                seg.reference_start = r["pos"] - 1
                seg.cigarstring = r["cigar"]
                length = seg.infer_query_length()
                seg.query_sequence = "ACGT" * (length // 4) + "ACGT"[: length % 4]
                seg.query_qualities = pysam.qualitystring_to_array("I" * length)
                seg.mapping_quality = r["mapq"]
                flag = r["flag"] | (0x10 if r["reverse"] else 0)
                if r["mate"] is not None:
                    mchrom, mpos, mrev = r["mate"]
                    flag |= 0x1 | (0x40 if r["read1"] else 0x80) | (0x20 if mrev else 0)
                    seg.next_reference_name = mchrom
                    seg.next_reference_start = mpos - 1
                seg.flag = flag
                for key, value in r["tags"].items():
                    seg.set_tag(key, value)
                out.write(seg)
        pysam.sort("-o", str(path), str(unsorted))
        unsorted.unlink()
        if index:
            pysam.index(str(path))
        return path


# --- result documents -----------------------------------------------------------------------


def fusion(**changes: object) -> dict:
    """An ASPSCR1 exon 7 :: TFE3 exon 6 junction (GRCh38), changed as given."""
    record = {
        "five_prime_gene": "ASPSCR1",
        "three_prime_gene": "TFE3",
        "kind": "target",
        "breakpoint_5p": "chr17:81996846",
        "breakpoint_3p": "chrX:49034251",
        "side_5p": "below",
        "side_3p": "below",
        "breakpoint_precision": "exact",
        "canonical": True,
        "exon_5p": 7,
        "exon_3p": 6,
        "intron_5p": None,
        "intron_3p": None,
        "transcript_5p": "NM_024083.4 / ENST00000306739.8",
        "transcript_3p": "NM_006521.6 / ENST00000315869.7",
        "split_reads": 9,
        "spanning_pairs": 5,
        "supporting_fragments": 14,
        "supporting_reads": 16,
        "reading_frame": "in-frame",
        "confidence": "high",
        "type_label": "type 1",
        "reported_type": True,
        "fusion_protein": None,
        "filters": {"duplicates": 3, "low_mapq": 1},
        "passed": True,
    }
    record.update(changes)
    return record


def document(sample: str, call: str, fusions: list[dict], **changes: object) -> dict:
    """A complete, schema-valid result document."""
    doc = {
        "schema_version": "1.1",
        "sample": sample,
        "target": "ASPSCR1::TFE3",
        "assay": "rna",
        "design": "wts",
        "call": call,
        "confidence": "high" if call == "DETECTED" else None,
        "call_reason": "14 fragments support ASPSCR1 exon 7::TFE3 exon 6",
        "build": "GRCh38",
        "contig_style": "chr",
        "tool": {"name": "fusioncheck", "version": "0.1.0"},
        "input": {
            "path": f"/data/{sample}.bam",
            "format": "BAM",
            "checksum": {"algorithm": "sha256-fingerprint", "value": "0123abcd" * 8},
            "size_bytes": 1_234_567,
            "reference": "/ref/GRCh38.fa",
        },
        "command": f"fusioncheck scan /data/{sample}.bam --sample {sample} --outdir out",
        "run": {"started": "2026-11-25T10:00:00+00:00", "finished": "2026-11-25T10:00:04+00:00",
                "host": "node1"},
        "thresholds": {"min_support": 3, "min_split_reads": 1, "negative_max_fraction": 0.1},
        "fusions": fusions,
        "filters": {"duplicates": 12, "low_mapq": 4, "short_anchor": 2, "homology": 0},
        "filters_disabled": [],
        "warnings": [],
        "reciprocal": {"status": "absent", "fragments": 0,
                       "statement": "No reciprocal TFE3::ASPSCR1 evidence."},
        "tfe3_imbalance": {"status": "balanced", "ratio": 1.1, "fold": 1.1, "lost_exons": [2, 3],
                           "kept_exons": [7, 8, 9], "reference_ratio": 1.0, "max_fold": 3.0,
                           "statement": "TFE3 kept/lost exon coverage 1.1-fold the reference."},
        "unresolved_tfe3_breaks": [],
        "sensitivity": {"informative_fragments_5p": 180.0, "informative_fragments_3p": 150.0,
                        "sides_assessed": ["5p", "3p"], "min_support": 3,
                        "detectable_fraction": 0.042, "required_fraction": 0.1,
                        "tumour_content": None,
                        "statement": "A fusion in 4.2% of transcripts would have been detected "
                        "with 95% probability."},
        "qc": {
            "reads_in_windows": {"ASPSCR1": 5200, "TFE3": 4100},
            "junction_exon_coverage": {"ASPSCR1 exon 7": 180.0, "TFE3 exon 4": 160.0,
                                       "TFE3 exon 5": 150.0, "TFE3 exon 6": 170.0},
            "exon_coverage": {
                "ASPSCR1": [40, 30, 55, 50, 60, 45, 180, 20, 25, 30, 20, 18, 22, 25, 20, 60],
                "TFE3": [90, 30, 35, 160, 150, 170, 200, 210, 190, 400],
            },
            "duplicate_rate": 0.08,
            "read_length": 100,
            "paired": True,
            "unmatched_soft_clips": 0,
            "unmatched_junction_clips": 0,
            "unchecked_unmapped_reads": 0,
            "molecule_identity": "outer read ends (no UMI)",
        },
    }  # fmt: skip
    doc.update(copy.deepcopy(changes))
    validate(doc)
    return doc
