"""Gene models of the fusion target and its partners, for GRCh38 and GRCh37.

The models are read from ``resources/gene_models.tsv`` (one row per exon; see
``resources/README.md`` for provenance).  Coordinates are 1-based and closed, chromosome
names are in ``chr`` style; :class:`ContigStyle` maps them to the names a BAM uses.

Vocabulary used across the package:

* *donor* of exon n: its last base in transcription order (``end`` on +, ``start`` on -).
* *acceptor* of exon n: its first base in transcription order (``start`` on +, ``end`` on -).
* A fusion joins the donor of a 5' exon to the acceptor of a 3' exon; it is in frame when the
  donor's CDS end phase equals the acceptor's CDS start phase.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources as importlib_resources
from pathlib import Path

from fusioncheck.errors import InputError
from fusioncheck.model import Breakend

BUILDS = ("GRCh38", "GRCh37")

#: Primary assembly contig lengths (chr-style names), for the VCF header.
ASSEMBLY_LENGTHS: dict[str, dict[str, int]] = {
    "GRCh38": {
        "chr1": 248956422, "chr2": 242193529, "chr3": 198295559, "chr4": 190214555,
        "chr5": 181538259, "chr6": 170805979, "chr7": 159345973, "chr8": 145138636,
        "chr9": 138394717, "chr10": 133797422, "chr11": 135086622, "chr12": 133275309,
        "chr13": 114364328, "chr14": 107043718, "chr15": 101991189, "chr16": 90338345,
        "chr17": 83257441, "chr18": 80373285, "chr19": 58617616, "chr20": 64444167,
        "chr21": 46709983, "chr22": 50818468, "chrX": 156040895, "chrY": 57227415,
    },
    "GRCh37": {
        "chr1": 249250621, "chr2": 243199373, "chr3": 198022430, "chr4": 191154276,
        "chr5": 180915260, "chr6": 171115067, "chr7": 159138663, "chr8": 146364022,
        "chr9": 141213431, "chr10": 135534747, "chr11": 135006516, "chr12": 133851895,
        "chr13": 115169878, "chr14": 107349540, "chr15": 102531392, "chr16": 90354753,
        "chr17": 81195210, "chr18": 78077248, "chr19": 59128983, "chr20": 63025520,
        "chr21": 48129895, "chr22": 51304566, "chrX": 155270560, "chrY": 59373566,
    },
}  # fmt: skip

#: The contigs that identify a build from a BAM header (chr17, chrX) and hold the known genes
#: the synthetic controls use (chr1 for PRCC and SFPQ).
CONTIG_LENGTHS: dict[str, dict[str, int]] = {
    build: {c: lengths[c] for c in ("chr1", "chr17", "chrX")}
    for build, lengths in ASSEMBLY_LENGTHS.items()
}


@dataclass(frozen=True)
class Exon:
    number: int
    start: int
    end: int
    cds_c_start: int | None  # HGVS c. of the first coding base in the exon (stop codon excluded)
    cds_c_end: int | None

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def start_phase(self) -> int | None:
        return None if self.cds_c_start is None else (self.cds_c_start - 1) % 3

    @property
    def end_phase(self) -> int | None:
        return None if self.cds_c_end is None else self.cds_c_end % 3


@dataclass(frozen=True)
class Transcript:
    gene: str
    transcript_id: str
    refseq: str | None
    chrom: str  # chr-style
    strand: str  # "+" or "-"
    cytoband: str
    exons: tuple[Exon, ...]  # in transcription order

    @property
    def start(self) -> int:
        return min(e.start for e in self.exons)

    @property
    def end(self) -> int:
        return max(e.end for e in self.exons)

    @property
    def label(self) -> str:
        """Versioned transcript IDs as a report prints them."""
        return f"{self.refseq} / {self.transcript_id}" if self.refseq else self.transcript_id

    def exon(self, number: int) -> Exon:
        return self.exons[number - 1]

    def donor(self, number: int) -> int:
        e = self.exon(number)
        return e.end if self.strand == "+" else e.start

    def acceptor(self, number: int) -> int:
        e = self.exon(number)
        return e.start if self.strand == "+" else e.end

    @cached_property
    def donors(self) -> frozenset[int]:
        return frozenset(self.donor(e.number) for e in self.exons)

    @cached_property
    def acceptors(self) -> frozenset[int]:
        return frozenset(self.acceptor(e.number) for e in self.exons)

    def exon_at(self, pos: int) -> Exon | None:
        for e in self.exons:
            if e.start <= pos <= e.end:
                return e
        return None

    def intron(self, number: int) -> tuple[int, int]:
        """First and last genomic base of intron n (between exon n and exon n+1)."""
        a, b = self.exon(number), self.exon(number + 1)
        return (a.end + 1, b.start - 1) if self.strand == "+" else (b.end + 1, a.start - 1)

    def intron_at(self, pos: int) -> int | None:
        """Number n of the intron between exon n and exon n+1 containing ``pos``, if any."""
        for n in range(1, len(self.exons)):
            lo, hi = self.intron(n)
            if lo <= pos <= hi:
                return n
        return None

    def contains(self, chrom: str, pos: int) -> bool:
        return chrom == self.chrom and self.start <= pos <= self.end

    def tx_position(self, pos: int) -> int | None:
        """Transcript coordinate (1 = first base of exon 1) of an exonic genomic position."""
        offset = 0
        for e in self.exons:
            if e.start <= pos <= e.end:
                within = pos - e.start if self.strand == "+" else e.end - pos
                return offset + within + 1
            offset += e.length
        return None

    def genomic_position(self, tx_pos: int) -> int:
        """Inverse of :meth:`tx_position`."""
        offset = 0
        for e in self.exons:
            if tx_pos <= offset + e.length:
                within = tx_pos - offset - 1
                return e.start + within if self.strand == "+" else e.end - within
            offset += e.length
        raise ValueError(f"{self.gene}: transcript position {tx_pos} is past the last exon")

    @property
    def tx_length(self) -> int:
        return sum(e.length for e in self.exons)

    @property
    def cds_tx_range(self) -> tuple[int, int] | None:
        """Transcript coordinates of the first base of the start codon and the last base of the
        stop codon."""
        coding = [e for e in self.exons if e.cds_c_start is not None and e.cds_c_end is not None]
        if not coding:
            return None
        first = coding[0]
        assert first.cds_c_end is not None
        tx_first_end = self.tx_position(self.donor(first.number))
        assert tx_first_end is not None
        cds_start = tx_first_end - first.cds_c_end + 1
        last = coding[-1]
        assert last.cds_c_end is not None
        return cds_start, cds_start + last.cds_c_end + 3 - 1


def reading_frame(five: Transcript, exon5: int, three: Transcript, exon3: int) -> str:
    """Frame of a fusion joining the donor of ``five`` exon ``exon5`` to the acceptor of
    ``three`` exon ``exon3``: ``in-frame``, ``out-of-frame`` or ``non-coding`` (either side
    outside the CDS at the junction)."""
    donor_phase = five.exon(exon5).end_phase
    acceptor_phase = three.exon(exon3).start_phase
    if donor_phase is None or acceptor_phase is None:
        return "non-coding"
    return "in-frame" if donor_phase == acceptor_phase else "out-of-frame"


@dataclass(frozen=True)
class Window:
    """A region the scan fetches from the BAM (chr-style chromosome name, 1-based closed)."""

    gene: str
    chrom: str
    start: int
    end: int


@dataclass(frozen=True, eq=False)  # one object per file and build (load is cached)
class GeneModels:
    build: str
    transcripts: dict[str, Transcript]

    def __getitem__(self, gene: str) -> Transcript:
        return self.transcripts[gene]

    def gene_at(self, chrom: str, pos: int) -> Transcript | None:
        for tx in self.transcripts.values():
            if tx.contains(chrom, pos):
                return tx
        return None

    def window(self, gene: str, flank: int) -> Window:
        tx = self.transcripts[gene]
        return Window(gene, tx.chrom, max(1, tx.start - flank), tx.end + flank)

    def at_exon_boundaries(self, five: Breakend, three: Breakend) -> bool:
        """Is ``five`` a donor of its gene and ``three`` an acceptor of its gene?"""
        tx5, tx3 = self.gene_at(five.chrom, five.pos), self.gene_at(three.chrom, three.pos)
        if tx5 is None or tx3 is None:
            return False
        return five.pos in tx5.donors and three.pos in tx3.acceptors


def resource_path(name: str) -> Path:
    """Resources live at the repository root; an installed wheel carries a copy in the package."""
    packaged = importlib_resources.files("fusioncheck") / "resources" / name
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "resources" / name


def _int_or_none(value: str) -> int | None:
    return None if value in ("", ".") else int(value)


@cache
def load(build: str, path: Path | None = None) -> GeneModels:
    """Gene models for ``build`` (``GRCh38`` or ``GRCh37``) from ``path`` (default: the
    bundled ``resources/gene_models.tsv``)."""
    if build not in BUILDS:
        raise InputError(f"unknown genome build {build!r}: use one of {', '.join(BUILDS)}")
    path = path or resource_path("gene_models.tsv")
    rows: dict[str, list[dict[str, str]]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["build"] == build:
                rows.setdefault(row["gene"], []).append(row)
    transcripts = {}
    for gene, exon_rows in rows.items():
        first = exon_rows[0]
        exons = tuple(
            Exon(
                number=int(r["exon"]),
                start=int(r["start"]),
                end=int(r["end"]),
                cds_c_start=_int_or_none(r["cds_c_start"]),
                cds_c_end=_int_or_none(r["cds_c_end"]),
            )
            for r in sorted(exon_rows, key=lambda r: int(r["exon"]))
        )
        transcripts[gene] = Transcript(
            gene=gene,
            transcript_id=first["transcript"],
            refseq=None if first["refseq"] == "." else first["refseq"],
            chrom=first["chrom"],
            strand=first["strand"],
            cytoband=first["cytoband"],
            exons=exons,
        )
    return GeneModels(build=build, transcripts=transcripts)


@dataclass(frozen=True)
class ContigStyle:
    """How a BAM names chromosomes: ``chr`` (``chr17``) or ``plain`` (``17``)."""

    style: str

    def to_bam(self, chrom: str) -> str:
        if self.style == "chr":
            return chrom
        return chrom[3:] if chrom.startswith("chr") else chrom

    def from_bam(self, name: str) -> str:
        if self.style == "chr" or name.startswith("chr"):
            return name
        return "chr" + name
