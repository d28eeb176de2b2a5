"""Map an alignment made against ``windows.fa`` back onto the real contigs.

A fixture's ``windows.fa`` holds each genome window as its own contig named
``<chrom>__<offset>`` (base 1 of the contig is base offset+1 of the chromosome), so real
aligners can build a small index.  :func:`lift_bam` rewrites positions, mate positions and
``SA``/``XA`` tags, gives the header the real contigs and lengths, sorts and indexes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pysam

from fusioncheck.errors import InputError
from fusioncheck.simulate.genome import parse_window_contig


def _lift_entries(tag: str, lift: dict[str, tuple[str, int]], signed: bool) -> str:
    out = []
    for entry in tag.rstrip(";").split(";"):
        fields = entry.split(",")
        chrom, offset = lift.get(fields[0], (fields[0], 0))
        fields[0] = chrom
        if signed:
            fields[1] = f"{fields[1][0]}{int(fields[1][1:]) + offset}"
        else:
            fields[1] = str(int(fields[1]) + offset)
        out.append(",".join(fields) + ";")
    return "".join(out)


def lift_bam(in_bam: str | Path, out_bam: str | Path, genome_fasta: str | Path) -> Path:
    """Rewrite ``in_bam`` (aligned to ``windows.fa``) onto ``genome_fasta``'s contigs;
    write ``out_bam`` coordinate-sorted and indexed."""
    out_bam = Path(out_bam)
    with pysam.FastaFile(str(genome_fasta)) as fasta:
        lengths = dict(zip(fasta.references, fasta.lengths))
    with pysam.AlignmentFile(str(in_bam), "rb" if str(in_bam).endswith(".bam") else "r") as src:
        old = src.header.to_dict()
        lift: dict[str, tuple[str, int]] = {}
        for sq in old.get("SQ", []):
            parsed = parse_window_contig(sq["SN"])
            if parsed is None or parsed[0] not in lengths:
                raise InputError(
                    f"{in_bam}: contig {sq['SN']} is not a window of {genome_fasta} "
                    "(expected <chrom>__<offset> as in windows.fa)"
                )
            lift[sq["SN"]] = parsed
        new = {k: v for k, v in old.items() if k not in ("HD", "SQ")}
        new["HD"] = {"VN": "1.6", "SO": "unsorted"}
        new["SQ"] = [{"SN": name, "LN": n} for name, n in lengths.items()]
        header = pysam.AlignmentHeader.from_dict(new)
        unsorted = out_bam.with_name(out_bam.name + ".unsorted.bam")
        with pysam.AlignmentFile(str(unsorted), "wb", header=header) as out:
            for read in src.fetch(until_eof=True):
                d = read.to_dict()
                own = d["ref_name"]
                for ref_key, pos_key in (
                    ("ref_name", "ref_pos"),
                    ("next_ref_name", "next_ref_pos"),
                ):
                    name = d[ref_key]
                    if name == "*":
                        continue
                    chrom, offset = lift[own if name == "=" else name]
                    if name != "=":
                        d[ref_key] = chrom
                    if d[pos_key] != "0":
                        d[pos_key] = str(int(d[pos_key]) + offset)
                tags = []
                for t in d["tags"]:
                    key, typ, value = t.split(":", 2)
                    if key == "SA":
                        value = _lift_entries(value, lift, signed=False)
                    elif key == "XA":
                        value = _lift_entries(value, lift, signed=True)
                    tags.append(f"{key}:{typ}:{value}")
                d["tags"] = tags
                out.write(pysam.AlignedSegment.from_dict(d, header))
    pysam.sort("-o", str(out_bam), str(unsorted))
    os.unlink(unsorted)
    pysam.index(str(out_bam))
    return out_bam
