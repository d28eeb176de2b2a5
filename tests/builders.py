"""State the reads a test needs in a few lines, get a sorted, indexed BAM.

Sequence content is arbitrary (these BAMs are scanned without a reference); the simulator in
``fusioncheck.simulate`` makes realistic fixtures, this makes precise ones.
"""

from __future__ import annotations

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
