"""Deterministic synthetic controls: genome FASTA, aligned BAM, FASTQs and the truth.

``simulate(SimulationSpec(...), outdir)`` writes, in ``outdir``:

* ``genome.fa.gz`` (+ ``.fai``, ``.gzi``): the build's chr1, chr17 and chrX at their real
  lengths, ``N`` except synthetic sequence around the known genes (see :mod:`.genome`);
* ``sample.bam`` (+ ``.bai``): the reads as the chosen aligner would write them;
* ``truth.json``: the spec, the expected call, each fusion record and every non-background
  fragment, so a test can check a scan;
* ``reads_1.fq.gz`` / ``reads_2.fq.gz``, ``windows.fa`` and ``genes.gtf``: the library and a
  small reference for aligning with real aligners (:func:`.lift.lift_bam` maps back).

The same spec gives byte-identical files.  The genome depends only on the build (and on an
unannotated-partner locus, if any), never on the read seed.
"""

from __future__ import annotations

import gzip
import json
import math
import random
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pysam

from fusioncheck import __version__
from fusioncheck.errors import OutputError, UsageError
from fusioncheck.genes import BUILDS, ContigStyle, Transcript, load, reading_frame
from fusioncheck.sequence import reverse_complement
from fusioncheck.simulate.fragments import Fragment, Piece, Template, junction_kind, pair
from fusioncheck.simulate.genome import (
    PARALOG_CHROM,
    PARALOG_EXON,
    PARALOG_START,
    READ_THROUGH_EXON,
    Genome,
    build_genome,
    parse_locus,
    place_genome,
    write_windows,
)
from fusioncheck.simulate.styles import DNA_STYLES, RNA_STYLES, finish, place

__all__ = ["SimulationSpec", "SimulationResult", "simulate"]

KNOWN_PARTNERS = ("ASPSCR1", "PRCC", "SFPQ", "NONO")
#: Bases each side of a DNA break that a rearranged-chromosome template carries.
_DNA_ARM = 4000
#: Bases each side of a target gene sequenced in a DNA panel (the scan's default flank).
_PANEL_FLANK = 2000
#: A read across a junction with at least this many bases each side counts as split evidence.
SPLIT_MIN_SIDE = 20
#: Split fusion fragments put at least this many bases on each side of the junction.
_SPLIT_SIDE = 25
_DEFAULTS = {
    "rna": {"aligner": "star_chimeric", "junction": (7, 6), "background": 400.0,
            "fragment_mean": 250, "fragment_sd": 50},
    "dna": {"aligner": "bwa", "junction": (7, 5), "background": 30.0,
            "fragment_mean": 350, "fragment_sd": 60},
}  # fmt: skip


@dataclass(frozen=True)
class SimulationSpec:
    """What to simulate.  Fields left ``None`` take the assay's default on construction.

    ``junction``: RNA (5' exon, 3' exon) joined donor -> acceptor, default (7, 6); DNA
    (5' intron, 3' intron) with the break inside each, default (7, 5) = ASPSCR1 intron 7 ::
    TFE3 intron 5, which predicts the ex7::ex6 transcript.  ``background``: RNA fragments per
    kb of each gene's transcript (default 400); DNA mean read depth over the target genes
    +- 2 kb (default 30).  ``fusion_fragments=None`` (DNA) derives the count from the depth
    and ``tumour_fraction`` (heterozygous).  ``five_prime`` is a known partner (ASPSCR1, PRCC,
    SFPQ, NONO) or a locus ``chr1:120000000`` (a synthetic partner whose exon 1 ends there).
    """

    assay: str = "rna"
    aligner: str = None  # type: ignore[assignment]
    build: str = "GRCh38"
    contig_style: str = "chr"
    five_prime: str = "ASPSCR1"
    junction: tuple[int, int] = None  # type: ignore[assignment]
    fusion_fragments: int | None = 10
    reciprocal: bool = False
    background: float = None  # type: ignore[assignment]
    tumour_fraction: float = 0.5
    duplicate_rate: float = 0.0
    base_error_rate: float = 0.0
    read_length: int = 100
    fragment_mean: int = None  # type: ignore[assignment]
    fragment_sd: int = None  # type: ignore[assignment]
    paralog_fragments: int = 0
    artefact_pairs: int = 0
    read_through: int = 0
    #: RNA: the fusion transcript expressed at this many fragments per kb of its 3' part, none
    #: of them crossing the junction (as in a capture panel that baits only TFE3).
    unspanned_fusion: float = 0.0
    seed: int = 1
    sample: str = "simulated"

    def __post_init__(self) -> None:
        if self.assay not in _DEFAULTS:
            raise UsageError(f"assay {self.assay!r}: use rna or dna")
        for name, value in _DEFAULTS[self.assay].items():
            if getattr(self, name) is None:
                object.__setattr__(self, name, value)
        object.__setattr__(self, "junction", tuple(int(x) for x in self.junction))
        allowed = RNA_STYLES if self.assay == "rna" else DNA_STYLES
        if self.aligner not in allowed:
            raise UsageError(
                f"aligner {self.aligner!r} does not fit assay {self.assay}: use one of "
                + ", ".join(allowed)
            )
        if self.build not in BUILDS:
            raise UsageError(f"build {self.build!r}: use one of {', '.join(BUILDS)}")
        if self.contig_style not in ("chr", "plain"):
            raise UsageError(f"contig style {self.contig_style!r}: use chr or plain")
        if self.five_prime not in KNOWN_PARTNERS:
            parse_locus(self.five_prime, self.build)  # raises unless a locus
        if self.fusion_fragments is None and self.assay != "dna":
            raise UsageError("fusion_fragments=None (derive from depth) is for DNA only")
        for name in ("fusion_fragments", "paralog_fragments", "artefact_pairs", "read_through"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UsageError(f"{name} must be >= 0")
        if (self.read_through or self.unspanned_fusion) and self.assay != "rna":
            raise UsageError("read-through and unspanned fusion expression are RNA only")
        for name in ("duplicate_rate", "base_error_rate", "tumour_fraction"):
            if not 0 <= getattr(self, name) <= 1:
                raise UsageError(f"{name} must be between 0 and 1")
        if self.background < 0:
            raise UsageError("background must be >= 0")
        if self.read_length < 2 * _SPLIT_SIDE + 10:
            raise UsageError(f"read_length must be at least {2 * _SPLIT_SIDE + 10}")
        if self.fragment_mean < self.read_length:
            raise UsageError("fragment_mean must be at least read_length")
        if not self.sample or any(not (c.isalnum() or c in "._-") for c in self.sample):
            raise UsageError(f"sample {self.sample!r}: use letters, digits, . _ -")


@dataclass(frozen=True)
class SimulationResult:
    outdir: Path
    genome: Path  # genome.fa.gz
    bam: Path  # sample.bam
    truth: Path  # truth.json
    fastq1: Path
    fastq2: Path
    windows: Path  # windows.fa
    gtf: Path  # genes.gtf
    spec: SimulationSpec

    def load_truth(self) -> dict:
        return json.loads(self.truth.read_text())


# --- molecules --------------------------------------------------------------------------------


def _exon_pieces(tx: Transcript, numbers: range, part: int) -> list[Piece]:
    return [Piece(tx.chrom, tx.exon(n).start, tx.exon(n).end, tx.strand, part) for n in numbers]


def _base(genome: Genome, tx: Transcript, pos: int) -> str:
    """The base at ``pos`` read in ``tx``'s direction of transcription."""
    base = genome.fetch(tx.chrom, pos, pos)
    return base if tx.strand == "+" else reverse_complement(base)


def _homologous(genome: Genome, five: Transcript, bp5: int, three: Transcript, bp3: int) -> bool:
    """Could an aligner place this join one base either way?  It can when the 5' partner's
    next base equals the 3' partner's first, or the 5' partner's last the 3' partner's
    previous one."""
    s5 = 1 if five.strand == "+" else -1
    s3 = 1 if three.strand == "+" else -1
    return _base(genome, five, bp5 + s5) == _base(genome, three, bp3) or _base(
        genome, five, bp5
    ) == _base(genome, three, bp3 - s3)


def _inside(rng: random.Random, lo: int, hi: int) -> int:
    """A break point inside ``lo..hi``, away from the exons (TFE3 intron 4 is only 82 bp)."""
    margin = min(100, (hi - lo) // 4)
    return rng.randint(lo + margin, hi - margin)


def _arm(chrom: str, bp: int, strand: str, part: int, before: bool) -> Piece:
    """The stretch of chromosome kept on one side of a DNA break, in molecule order.

    ``before``: the stretch ends at ``bp`` (a 5' side); else it starts at ``bp``."""
    forward = strand == "+"
    if before == forward:  # ends at bp going forward, or starts at bp going backward
        return Piece(chrom, bp - _DNA_ARM + 1, bp, strand, part)
    return Piece(chrom, bp, bp + _DNA_ARM - 1, strand, part)


@dataclass
class _Record:
    """A fusion the fixture contains, and the molecule carrying it."""

    role: str  # fusion, reciprocal
    five: Transcript
    three: Transcript
    exon_5p: int
    exon_3p: int
    breakpoint_5p: int
    breakpoint_3p: int
    pieces: list[Piece]
    intron_5p: int | None = None
    intron_3p: int | None = None


def _fusion_records(spec: SimulationSpec, genome: Genome, five: Transcript) -> list[_Record]:
    three = load(spec.build)["TFE3"]
    a, b = spec.junction
    if five.transcript_id == "synthetic":
        a = 1
    records = []
    if spec.assay == "rna":
        if not 1 <= a < len(five.exons) and five.transcript_id != "synthetic":
            raise UsageError(f"{five.gene} has exons 1-{len(five.exons)}: 5' exon {a} has no donor")
        if not 2 <= b <= len(three.exons):
            raise UsageError(f"TFE3 has exons 1-{len(three.exons)}: 3' exon must be 2-10")
        pieces = _exon_pieces(five, range(1, a + 1), 0) + _exon_pieces(
            three, range(b, len(three.exons) + 1), 1
        )
        records.append(
            _Record("fusion", five, three, a, b, five.donor(a), three.acceptor(b), pieces)
        )
        if spec.reciprocal:
            if a >= len(five.exons):
                raise UsageError(f"no reciprocal: {five.gene} has no exon after exon {a}")
            recip = _exon_pieces(three, range(1, b), 0) + _exon_pieces(
                five, range(a + 1, len(five.exons) + 1), 1
            )
            records.append(
                _Record(
                    "reciprocal",
                    three,
                    five,
                    b - 1,
                    a + 1,
                    three.donor(b - 1),
                    five.acceptor(a + 1),
                    recip,
                )  # fmt: skip
            )
        return records
    # DNA: a genomic join inside 5' intron a and TFE3 intron b, from the seed.
    rng = random.Random(f"{spec.seed}:break")
    if five.transcript_id == "synthetic":
        bp5, intron5, exon5 = five.exons[0].end, None, 1
    else:
        if not 1 <= a < len(five.exons):
            raise UsageError(f"{five.gene} has introns 1-{len(five.exons) - 1}, not {a}")
        lo, hi = five.intron(a)
        bp5, intron5, exon5 = _inside(rng, lo, hi), a, a
    if not 1 <= b < len(three.exons):
        raise UsageError(f"TFE3 has introns 1-{len(three.exons) - 1}, not {b}")
    lo, hi = three.intron(b)
    # The first TFE3 base kept in transcription order: on the minus strand, the highest one.
    # Redrawn until neither join has microhomology, so the truth has one exact breakpoint.
    bp3 = _inside(rng, lo, hi)
    step3 = 1 if three.strand == "-" else -1
    step5 = 1 if five.strand == "+" else -1
    while _homologous(genome, five, bp5, three, bp3) or (
        spec.reciprocal and _homologous(genome, three, bp3 + step3, five, bp5 + step5)
    ):
        bp3 = _inside(rng, lo, hi)
    pieces = [
        _arm(five.chrom, bp5, five.strand, 0, before=True),
        _arm(three.chrom, bp3, three.strand, 1, before=False),
    ]
    records.append(_Record("fusion", five, three, exon5, b + 1, bp5, bp3, pieces, intron5, b))
    if spec.reciprocal:
        # The other derivative: TFE3 up to the base before bp3, then the partner after bp5.
        r5, r3 = bp3 + step3, bp5 + step5
        recip = [
            _arm(three.chrom, r5, three.strand, 0, before=True),
            _arm(five.chrom, r3, five.strand, 1, before=False),
        ]
        records.append(_Record("reciprocal", three, five, b, exon5 + 1, r5, r3, recip, b, intron5))
    return records


def _fragment_length(rng: random.Random, spec: SimulationSpec, lo: int, hi: int) -> int:
    return max(lo, min(hi, round(rng.gauss(spec.fragment_mean, spec.fragment_sd))))


def _junction_fragments(
    template: Template, n: int, spec: SimulationSpec, rng: random.Random, source: str
) -> list[Fragment]:
    """``n`` fragments across the template's junction: even indices split (a read crosses it
    with >= 25 bases each side, the side lengths varying), odd ones spanning (the junction in
    the unsequenced insert)."""
    L = spec.read_length
    (j,) = template.junctions
    out = []
    for i in range(n):
        read1_sense = rng.random() < 0.5
        if i % 2 == 0:
            flen = _fragment_length(rng, spec, L, len(template))
            s5 = rng.randint(_SPLIT_SIDE, L - _SPLIT_SIDE)
            if rng.random() < 0.5:  # the read at the fragment's start crosses
                t0 = j - s5
            else:
                t0 = j - s5 - flen + L
            t0 = max(0, min(t0, len(template) - flen))
        else:
            flen = _fragment_length(rng, spec, 2 * L + 20, len(template))
            u = rng.randint(0, flen - 2 * L)
            t0 = j - L - u
        reads = pair(template, t0, flen, L, read1_sense, rng, spec.base_error_rate)
        out.append(Fragment("", source, reads))
    return out


def _beyond_junction(
    template: Template, spec: SimulationSpec, rng: random.Random, source: str
) -> list[Fragment]:
    """Fragments of the template's 3' part only: expression no read shows the junction of."""
    (j,) = template.junctions
    L = spec.read_length
    out = []
    for _ in range(round(spec.unspanned_fusion * (len(template) - j) / 1000)):
        flen = _fragment_length(rng, spec, L, len(template) - j)
        t0 = rng.randint(j, len(template) - flen)
        reads = pair(template, t0, flen, L, rng.random() < 0.5, rng, spec.base_error_rate)
        out.append(Fragment("", source, reads))
    return out


def _background(
    spec: SimulationSpec, genome: Genome, rng: random.Random, five: Transcript
) -> list[Fragment]:
    L = spec.read_length
    out = []
    if spec.assay == "rna":
        for gene in sorted(genome.genes):
            tx = genome.genes[gene]
            template = Template(
                _exon_pieces(tx, range(1, len(tx.exons) + 1), 0), genome, f"bg:{gene}"
            )
            n = round(spec.background * len(template) / 1000)
            for _ in range(n):
                flen = _fragment_length(rng, spec, min(L, len(template)), len(template))
                t0 = rng.randint(0, len(template) - flen)
                reads = pair(template, t0, flen, L, rng.random() < 0.5, rng, spec.base_error_rate)
                out.append(Fragment("", "background", reads))
        return out
    genes = sorted({"ASPSCR1", "TFE3", five.gene})
    for gene in genes:
        tx = genome.genes[gene]
        start, end = tx.start - _PANEL_FLANK, tx.end + _PANEL_FLANK
        template = Template([Piece(tx.chrom, start, end, "+", 0)], genome, f"bg:{gene}")
        n = round(spec.background * len(template) / (2 * L))
        for _ in range(n):
            flen = _fragment_length(rng, spec, L, len(template))
            t0 = rng.randint(0, len(template) - flen)
            reads = pair(template, t0, flen, L, rng.random() < 0.5, rng, spec.base_error_rate)
            out.append(Fragment("", "background", reads))
    return out


def _paralog_fragments(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    """ASPSCR1 exon 7 joined to TFE3 exon 6 with the TFE3 part inside exon 6, which the
    processed-pseudogene copy on chr1 repeats: that part maps to two places."""
    models = load(spec.build)
    five, three = models["ASPSCR1"], models["TFE3"]
    exon = three.exon(PARALOG_EXON)
    if spec.assay == "rna":
        pieces = _exon_pieces(five, range(1, 8), 0)
    else:
        pieces = [_arm(five.chrom, five.donor(7), five.strand, 0, before=True)]
    pieces.append(Piece(three.chrom, exon.start, exon.end, three.strand, 1))
    template = Template(pieces, genome, "paralog")
    (j,) = template.junctions
    L = spec.read_length
    out = []
    for _ in range(spec.paralog_fragments):
        s3 = rng.randint(_SPLIT_SIDE, min(L - _SPLIT_SIDE, exon.length))
        flen = _fragment_length(rng, spec, L + s3, j + s3)
        reads = pair(template, j + s3 - flen, flen, L, rng.random() < 0.5, rng,
                     spec.base_error_rate)  # fmt: skip
        out.append(Fragment("", "paralog", reads))
    return out


def _artefact_pairs(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    """Single chimeric pairs, one mate anywhere in the ASPSCR1 window and one in the TFE3
    window, random orientations, each at its own place."""
    models = load(spec.build)
    L = spec.read_length
    seen: set[tuple[int, int]] = set()
    out: list[Fragment] = []
    while len(out) < spec.artefact_pairs:
        ends = []
        for gene in ("ASPSCR1", "TFE3"):
            tx = models[gene]
            ends.append((tx, rng.randint(tx.start - _PANEL_FLANK, tx.end + _PANEL_FLANK - L)))
        key = (ends[0][1], ends[1][1])
        if key in seen:
            continue
        seen.add(key)
        reads = []
        for k, (tx, p) in enumerate(ends):
            t = Template([Piece(tx.chrom, p, p + L - 1, "+", 0)], genome, f"artefact:{k}:{p}")
            reads.append(pair(t, 0, L, L, True, rng, spec.base_error_rate)[rng.random() < 0.5])
        out.append(Fragment("", "artefact_pair", (reads[0], reads[1])))
    return out


# --- writing ----------------------------------------------------------------------------------


def _write_bam(
    path: Path, records: list[dict], genome: Genome, style: ContigStyle, spec: SimulationSpec
) -> None:
    programs = {
        "star_chimeric": ("STAR", "STAR --chimOutType WithinBAM --chimSegmentMin 20"),
        "star": ("STAR", "STAR --outSAMtype BAM SortedByCoordinate"),
        "hisat2": ("hisat2", "hisat2 --no-unal"),
        "bwa": ("bwa", "bwa mem -Y"),
    }
    pn, cl = programs[spec.aligner]
    header = {
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": style.to_bam(c), "LN": n} for c, n in genome.lengths.items()],
        "RG": [{"ID": spec.sample, "SM": spec.sample, "PL": "ILLUMINA"}],
        "PG": [
            {"ID": pn, "PN": pn, "CL": cl},
            {"ID": "fusioncheck", "PN": "fusioncheck", "PP": pn, "VN": __version__,
             "CL": "fusioncheck simulate " + _spec_args(spec)},
        ],
    }  # fmt: skip
    hdr = pysam.AlignmentHeader.from_dict(header)
    tid = {name: i for i, name in enumerate(hdr.references)}
    records.sort(key=lambda r: (tid[r["chrom"]], r["pos"], r["name"], r["flag"]))
    with pysam.AlignmentFile(str(path), "wb", header=hdr) as out:
        for r in records:
            a = pysam.AlignedSegment(hdr)
            a.query_name = r["name"]
            a.flag = r["flag"]
            a.reference_id = tid[r["chrom"]]
            a.reference_start = r["pos"] - 1
            a.mapping_quality = r["mapq"]
            a.cigartuples = r["cigar"]
            a.next_reference_id = tid[r["mate_chrom"]]
            a.next_reference_start = r["mate_pos"] - 1
            a.template_length = r["tlen"]
            a.query_sequence = r["seq"]
            a.query_qualities = pysam.qualitystring_to_array(r["qual"])
            a.set_tags([*r["tags"], ("RG", spec.sample)])
            out.write(a)
    pysam.index(str(path))


def _spec_args(spec: SimulationSpec) -> str:
    """The spec as CLI options (no paths), for the @PG line."""
    args = []
    for f in fields(spec):
        value = getattr(spec, f.name)
        flag = "--" + f.name.replace("_", "-")
        if isinstance(value, bool):
            if value:
                args.append(flag)
        elif isinstance(value, tuple):
            args.append(f"{flag} {value[0]}:{value[1]}")
        elif value is not None:
            args.append(f"{flag} {value}")
    return " ".join(args)


def _write_fastq(path: Path, entries: list[tuple[str, str, str]]) -> None:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out,
    ):
        out.write("".join(f"@{n}\n{s}\n+\n{q}\n" for n, s, q in entries).encode())


def _poisson_at_least(k: int, mean: float) -> float:
    return 1.0 - sum(math.exp(-mean) * mean**i / math.factorial(i) for i in range(k))


def simulate(
    spec: SimulationSpec, outdir: str | Path, genome_cache: str | Path | None = None
) -> SimulationResult:
    """Write the fixture described by ``spec`` into ``outdir`` (created if needed).

    ``genome_cache``: a directory where the genome FASTA is written once per build, contig
    style (and locus partner) and hard-linked from, for test sessions making many fixtures.
    """
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{outdir}: cannot create the directory ({exc.strerror})") from exc
    style = ContigStyle(spec.contig_style)
    models = load(spec.build)
    locus = None if spec.five_prime in KNOWN_PARTNERS else parse_locus(spec.five_prime, spec.build)
    genome = build_genome(spec.build, (locus,) if locus else ())
    five = genome.genes[spec.five_prime if locus is None else f"{locus[0]}:{locus[1]}"]
    records = _fusion_records(spec, genome, five)

    seed = spec.seed
    frags: list[Fragment] = _background(spec, genome, random.Random(f"{seed}:background"), five)
    n_fusion = spec.fusion_fragments
    if n_fusion is None:  # DNA: heterozygous break in the tumour cells
        per_position = spec.background * spec.fragment_mean / (2 * spec.read_length)
        n_fusion = round(per_position * spec.tumour_fraction / 2)
    for k, rec in enumerate(records):
        template = Template(rec.pieces, genome, rec.role)
        rng = random.Random(f"{seed}:{rec.role}")
        for f in _junction_fragments(template, n_fusion, spec, rng, rec.role):
            f.record = k
            frags.append(f)
    if spec.unspanned_fusion:
        template = Template(records[0].pieces, genome, "unspanned")
        frags += _beyond_junction(
            template, spec, random.Random(f"{seed}:unspanned"), "unspanned_fusion"
        )
    rt_record = None
    if spec.read_through:
        rt, tfe3 = genome.genes["RTNB"], models["TFE3"]
        pieces = _exon_pieces(rt, range(1, len(rt.exons) + 1), 0) + _exon_pieces(
            tfe3, range(READ_THROUGH_EXON, len(tfe3.exons) + 1), 1
        )
        template = Template(pieces, genome, "read_through")
        frags += _junction_fragments(
            template, spec.read_through, spec, random.Random(f"{seed}:rt"), "read_through"
        )
        rt_record = {
            "five_prime_gene": rt.gene,
            "three_prime_gene": "TFE3",
            "breakpoint_5p": f"{style.to_bam(rt.chrom)}:{rt.donor(len(rt.exons))}",
            "breakpoint_3p": f"{style.to_bam(tfe3.chrom)}:{tfe3.acceptor(READ_THROUGH_EXON)}",
            "neighbour": f"{style.to_bam(rt.chrom)}:{rt.start}-{rt.end}",
            "strand": rt.strand,
        }
    frags += _paralog_fragments(spec, genome, random.Random(f"{seed}:paralog"))
    frags += _artefact_pairs(spec, genome, random.Random(f"{seed}:artefact"))

    rng = random.Random(f"{seed}:shuffle")
    rng.shuffle(frags)
    dup_rng = random.Random(f"{seed}:duplicates")
    width = len(str(2 * len(frags)))
    named: list[Fragment] = []
    for f in frags:
        f.name = f"{spec.sample}:{len(named) + 1:0{width}d}"
        named.append(f)
        if spec.duplicate_rate and dup_rng.random() < spec.duplicate_rate:
            copy = Fragment(f"{spec.sample}:{len(named) + 1:0{width}d}", f.source, f.reads,
                            f.record, duplicate_of=f.name)  # fmt: skip
            named.append(copy)

    tfe3_exon = models["TFE3"].exon(PARALOG_EXON)
    paralog = (PARALOG_CHROM, PARALOG_START, tfe3_exon.end)
    sam: list[dict] = []
    fastq1: list[tuple[str, str, str]] = []
    fastq2: list[tuple[str, str, str]] = []
    in_bam: dict[str, bool] = {}
    for f in named:
        for reads, entries in ((f.reads[0], fastq1), (f.reads[1], fastq2)):
            entries.append((f.name, reads.seq, _fastq_qual(reads)))
        placed = place(f, spec.aligner, genome)
        in_bam[f.name] = placed is not None
        if placed is not None:
            sam += finish(f, placed, spec.aligner, style, genome, paralog)

    bam = outdir / "sample.bam"
    _write_bam(bam, sam, genome, style, spec)
    _write_fastq(outdir / "reads_1.fq.gz", fastq1)
    _write_fastq(outdir / "reads_2.fq.gz", fastq2)
    fasta = place_genome(
        genome, style, outdir, Path(genome_cache) if genome_cache is not None else None
    )
    write_windows(genome, style, outdir / "windows.fa", outdir / "genes.gtf")
    truth = _truth(spec, style, genome, records, named, in_bam, rt_record)
    (outdir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return SimulationResult(
        outdir=outdir,
        genome=fasta,
        bam=bam,
        truth=outdir / "truth.json",
        fastq1=outdir / "reads_1.fq.gz",
        fastq2=outdir / "reads_2.fq.gz",
        windows=outdir / "windows.fa",
        gtf=outdir / "genes.gtf",
        spec=spec,
    )


def _fastq_qual(read) -> str:  # type: ignore[no-untyped-def]
    quals = ["I"] * len(read.seq)
    for i in read.errors:
        quals[i] = "+"
    return "".join(quals)


def _informative(
    spec: SimulationSpec, frags: list[Fragment], in_bam: dict[str, bool], models
) -> int:  # type: ignore[no-untyped-def]
    """Background fragments that could have shown the fusion, the fewer of the two genes:
    RNA, touching the last/first 30 bases of the junction exons; DNA, overlapping the
    ASPSCR1 intron 7 / TFE3 introns 3-5."""
    five, three = models["ASPSCR1"], models["TFE3"]
    if spec.assay == "rna":
        zones: dict[str, list[tuple[int, int]]] = {
            "ASPSCR1": [(five.donor(7) - 29, five.donor(7))],
            # TFE3 is on minus: the first 30 bases of an exon in transcription order end at
            # its acceptor (the exon's highest coordinate).
            "TFE3": [(three.acceptor(e) - 29, three.acceptor(e)) for e in (4, 5, 6)],
        }
    else:
        zones = {"ASPSCR1": [five.intron(7)], "TFE3": [three.intron(n) for n in (3, 4, 5)]}
    counts = {}
    for gene, regions in zones.items():
        n = 0
        for f in frags:
            if f.source != "background" or f.duplicate_of or not in_bam[f.name]:
                continue
            span = f.reads[0].template.groups(
                min(r.t0 for r in f.reads), max(r.t1 for r in f.reads)
            )
            n += any(
                g.chrom == models[gene].chrom and s <= hi and lo <= e
                for g in span
                for s, e in g.blocks
                for lo, hi in regions
            )
        counts[gene] = n
    return min(counts.values())


def _truth(
    spec: SimulationSpec,
    style: ContigStyle,
    genome: Genome,
    records: list[_Record],
    frags: list[Fragment],
    in_bam: dict[str, bool],
    rt_record: dict | None,
) -> dict:
    models = load(spec.build)

    def locus(chrom: str, pos: int) -> str:
        return f"{style.to_bam(chrom)}:{pos}"

    fusions: list[dict] = []
    for k, rec in enumerate(records):
        mine = [f for f in frags if f.record == k]
        seen = [f for f in mine if not f.duplicate_of and in_bam[f.name]]
        entry = {
            "role": rec.role,
            "five_prime_gene": rec.five.gene,
            "three_prime_gene": rec.three.gene,
            "transcript_5p": rec.five.transcript_id,
            "transcript_3p": rec.three.transcript_id,
            "breakpoint_5p": locus(rec.five.chrom, rec.breakpoint_5p),
            "breakpoint_3p": locus(rec.three.chrom, rec.breakpoint_3p),
            "exon_5p": rec.exon_5p,
            "exon_3p": rec.exon_3p,
            "reading_frame": (
                "non-coding"
                if "synthetic" in (rec.five.transcript_id, rec.three.transcript_id)
                else reading_frame(rec.five, rec.exon_5p, rec.three, rec.exon_3p)
            ),
            "fragments": sum(1 for f in mine if not f.duplicate_of),
            "split_fragments": sum(1 for f in seen if junction_kind(f) == "split"),
            "spanning_fragments": sum(1 for f in seen if junction_kind(f) == "spanning"),
        }
        if spec.assay == "dna":
            entry["intron_5p"] = rec.intron_5p
            entry["intron_3p"] = rec.intron_3p
        fusions.append(entry)

    target = fusions[0] if fusions else None
    support = target["split_fragments"] + target["spanning_fragments"] if target else 0
    is_target = target is not None and target["five_prime_gene"] == "ASPSCR1"
    informative = _informative(spec, frags, in_bam, models)
    if is_target and support >= 3 and target["split_fragments"] >= 1:  # type: ignore[index]
        expected = "DETECTED"
    elif is_target and support > 0:
        expected = "INDETERMINATE"  # evidence below the threshold never makes a negative
    elif _poisson_at_least(3, 0.10 * informative) >= 0.95:
        expected = "NOT_DETECTED"
    else:
        expected = "INDETERMINATE"

    listed = []
    for f in frags:
        if f.source == "background":
            continue
        entry = {
            "name": f.name,
            "source": f.source,
            "kind": junction_kind(f, SPLIT_MIN_SIDE),
            "in_bam": in_bam[f.name],
            "duplicate_of": f.duplicate_of,
        }
        if f.record is not None:
            entry["record"] = f.record
        listed.append(entry)
    artefacts = {
        "paralog": {
            "fragments": spec.paralog_fragments,
            "copy": locus(PARALOG_CHROM, PARALOG_START)
            + f"-{PARALOG_START + models['TFE3'].exon(PARALOG_EXON).length - 1}",
            "copy_of": f"TFE3 exon {PARALOG_EXON}",
            "junction": {
                "breakpoint_5p": locus("chr17", models["ASPSCR1"].donor(7)),
                "breakpoint_3p": locus("chrX", models["TFE3"].acceptor(PARALOG_EXON)),
            },
        },
        "artefact_pairs": spec.artefact_pairs,
        "read_through": dict(rt_record or {}, fragments=spec.read_through),
    }
    return {
        "fusioncheck_simulate": __version__,
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(spec).items()},
        "build": spec.build,
        "contig_style": spec.contig_style,
        "assay": spec.assay,
        "aligner": spec.aligner,
        "sample": spec.sample,
        "expected_call": expected,
        "expected_call_basis": (
            "default thresholds: DETECTED with >= 3 visible ASPSCR1::TFE3 fragments (>= 1 split); "
            "otherwise NOT_DETECTED when a 10% fusion among the informative background "
            "fragments would give >= 3 with 95% probability, else INDETERMINATE"
        ),
        "informative_fragments": informative,
        "fusions": fusions,
        "artefacts": artefacts,
        "fragments": listed,
        "background_fragments": sum(1 for f in frags if f.source == "background"),
        "duplicate_fragments": [f.name for f in frags if f.duplicate_of],
        "genome_windows": [
            f"{style.to_bam(c)}:{s}-{e}" for c, runs in genome.windows.items() for s, e, _ in runs
        ],
    }
