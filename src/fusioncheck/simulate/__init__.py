"""Deterministic synthetic controls: genome FASTA, aligned BAM, FASTQs and the truth.

``simulate(SimulationSpec(...), outdir)`` writes, in ``outdir``:

* ``genome.fa.gz`` (+ ``.fai``, ``.gzi``): the build's chr1, chr17 and chrX at their real
  lengths, ``N`` except synthetic sequence around the known genes (see :mod:`.genome`);
* ``sample.bam`` (+ ``.bai``): the reads as the chosen aligner would write them;
* ``truth.json``: what was simulated (the spec, the library: molecules, copies, reads; each
  fusion record and every non-background read pair), so a test can check a scan.  It states
  no expected call: tests state their own;
* ``reads_1.fq.gz`` (``reads_2.fq.gz`` unless single-end), ``windows.fa`` and ``genes.gtf``:
  the library and a small reference for aligning with real aligners (:func:`.lift.lift_bam`
  maps back).

The library is built in three steps: the design makes molecules (:mod:`.designs`), the
library sequences them (:mod:`.library`: copies, UMIs, damage) and an aligner style writes
them (:mod:`.styles`).  The same spec gives byte-identical files.  The genome depends only on
the build (and on an unannotated-partner locus, if any), never on the read seed.
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pysam

from fusioncheck import __version__
from fusioncheck.errors import OutputError, UsageError
from fusioncheck.genes import ContigStyle, Transcript, reading_frame
from fusioncheck.sequence import reverse_complement
from fusioncheck.simulate.designs import (
    PANEL_FLANK,
    amp_background,
    amp_junction_fragments,
    amp_primers,
    dna_background,
    exon_pieces,
    intronic_chimeras,
    rna_background,
)
from fusioncheck.simulate.fragments import Fragment, Piece, Template, junction_kind, pair
from fusioncheck.simulate.genome import (
    READ_THROUGH_EXON,
    Genome,
    build_genome,
    paralog_exon,
    parse_locus,
    place_genome,
    write_windows,
)
from fusioncheck.simulate.library import (
    fastq_comment,
    fragment_length,
    read_pair,
    sequence_library,
    umi_tags,
)
from fusioncheck.simulate.spec import SPLIT_SIDE, SimulationSpec, known_partners
from fusioncheck.simulate.styles import finish, place

__all__ = ["SimulationSpec", "SimulationResult", "simulate"]

#: Bases each side of a DNA break that a rearranged-chromosome template carries.
_DNA_ARM = 4000
#: A read across a junction with at least this many bases each side counts as split evidence.
SPLIT_MIN_SIDE = 20


@dataclass(frozen=True)
class SimulationResult:
    outdir: Path
    genome: Path  # genome.fa.gz
    bam: Path  # sample.bam
    truth: Path  # truth.json
    fastq1: Path
    fastq2: Path | None  # None when single-end
    windows: Path  # windows.fa
    gtf: Path  # genes.gtf
    spec: SimulationSpec

    def load_truth(self) -> dict[str, Any]:
        truth: dict[str, Any] = json.loads(self.truth.read_text())
        return truth


# --- molecules --------------------------------------------------------------------------------


def _target_genes(genome: Genome) -> tuple[Transcript, Transcript]:
    """The target's 5' and 3' genes (ASPSCR1 and TFE3 by default)."""
    target = genome.target
    return genome.genes[target.five_prime.gene], genome.genes[target.three_prime.gene]


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
    """The fusion (and its reciprocal) the fixture contains: RNA, joined exons; DNA, a
    genomic join inside the two introns."""
    if spec.assay == "rna":
        return _rna_records(spec, five, _target_genes(genome)[1])
    return _dna_records(spec, genome, five)


def _rna_records(spec: SimulationSpec, five: Transcript, three: Transcript) -> list[_Record]:
    a, b = spec.junction
    if five.transcript_id == "synthetic":
        a = 1
    records = []
    if not 1 <= a < len(five.exons) and five.transcript_id != "synthetic":
        raise UsageError(f"{five.gene} has exons 1-{len(five.exons)}: 5' exon {a} has no donor")
    if not 2 <= b <= len(three.exons):
        n = len(three.exons)
        raise UsageError(f"{three.gene} has exons 1-{n}: 3' exon must be 2-{n}")
    pieces = exon_pieces(five, range(1, a + 1), 0) + exon_pieces(
        three, range(b, len(three.exons) + 1), 1
    )
    records.append(_Record("fusion", five, three, a, b, five.donor(a), three.acceptor(b), pieces))
    if spec.reciprocal:
        if a >= len(five.exons):
            raise UsageError(f"no reciprocal: {five.gene} has no exon after exon {a}")
        recip = exon_pieces(three, range(1, b), 0) + exon_pieces(
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


def _dna_records(spec: SimulationSpec, genome: Genome, five: Transcript) -> list[_Record]:
    """A genomic join inside 5' intron a and 3' gene (TFE3) intron b, from the seed."""
    three = _target_genes(genome)[1]
    a, b = spec.junction
    records = []
    rng = random.Random(f"{spec.seed}:break")
    if five.transcript_id == "synthetic":
        bp5, intron5, exon5 = five.exons[0].end, None, 1
    else:
        if not 1 <= a < len(five.exons):
            raise UsageError(f"{five.gene} has introns 1-{len(five.exons) - 1}, not {a}")
        lo, hi = five.intron(a)
        bp5, intron5, exon5 = _inside(rng, lo, hi), a, a
    if not 1 <= b < len(three.exons):
        raise UsageError(f"{three.gene} has introns 1-{len(three.exons) - 1}, not {b}")
    lo, hi = three.intron(b)
    # The first 3' gene base kept in transcription order: on the minus strand, the highest one.
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
        # The other derivative: the 3' gene up to the base before bp3, then the partner after
        # bp5.
        r5, r3 = bp3 + step3, bp5 + step5
        recip = [
            _arm(three.chrom, r5, three.strand, 0, before=True),
            _arm(five.chrom, r3, five.strand, 1, before=False),
        ]
        records.append(_Record("reciprocal", three, five, b, exon5 + 1, r5, r3, recip, b, intron5))
    return records


def _junction_fragments(
    template: Template, n: int, spec: SimulationSpec, rng: random.Random, source: str
) -> list[Fragment]:
    """``n`` fragments across the template's junction: even indices split (a read crosses it
    with >= 25 bases each side, the side lengths varying), odd ones spanning (the junction in
    the unsequenced insert).  Single-end: all split, read 1 the crossing read."""
    if spec.design == "amp":
        return amp_junction_fragments(spec, template, n, rng, source)
    L = spec.read_length
    (j,) = template.junctions
    out = []
    for i in range(n):
        read1_sense = rng.random() < 0.5 and not spec.stranded
        if i % 2 == 0 or spec.single_end:
            flen = fragment_length(rng, spec, L, len(template))
            s5 = rng.randint(SPLIT_SIDE, L - SPLIT_SIDE)
            start_crosses = rng.random() < 0.5  # the read at the fragment's start crosses
            if spec.single_end:
                start_crosses = read1_sense
            t0 = j - s5 if start_crosses else j - s5 - flen + L
            t0 = max(0, min(t0, len(template) - flen))
        else:
            flen = fragment_length(rng, spec, 2 * L + 20, len(template))
            u = rng.randint(0, flen - 2 * L)
            t0 = j - L - u
        reads = read_pair(spec, template, t0, flen, read1_sense, rng)
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
        flen = fragment_length(rng, spec, L, len(template) - j)
        t0 = rng.randint(j, len(template) - flen)
        reads = read_pair(spec, template, t0, flen, rng.random() < 0.5, rng)
        out.append(Fragment("", source, reads))
    return out


def _background(
    spec: SimulationSpec, genome: Genome, rng: random.Random, five: Transcript
) -> list[Fragment]:
    if spec.design == "amp":
        return amp_background(spec, genome, rng)
    if spec.assay == "rna":
        return rna_background(spec, genome, rng)
    return dna_background(spec, genome, rng, five)


def _read_through(
    spec: SimulationSpec, genome: Genome, style: ContigStyle
) -> tuple[list[Fragment], dict[str, Any] | None]:
    if not spec.read_through:
        return [], None
    rt, tfe3 = genome.genes["RTNB"], _target_genes(genome)[1]
    pieces = exon_pieces(rt, range(1, len(rt.exons) + 1), 0) + exon_pieces(
        tfe3, range(READ_THROUGH_EXON, len(tfe3.exons) + 1), 1
    )
    template = Template(pieces, genome, "read_through")
    rng = random.Random(f"{spec.seed}:rt")
    frags = _junction_fragments(template, spec.read_through, spec, rng, "read_through")
    record = {
        "five_prime_gene": rt.gene,
        "three_prime_gene": tfe3.gene,
        "breakpoint_5p": f"{style.to_bam(rt.chrom)}:{rt.donor(len(rt.exons))}",
        "breakpoint_3p": f"{style.to_bam(tfe3.chrom)}:{tfe3.acceptor(READ_THROUGH_EXON)}",
        "neighbour": f"{style.to_bam(rt.chrom)}:{rt.start}-{rt.end}",
        "strand": rt.strand,
    }
    return frags, record


@dataclass
class _Molecules:
    fragments: list[Fragment]
    read_through: dict[str, Any] | None
    chimeras: list[dict[str, Any]]


def _molecules(
    spec: SimulationSpec, genome: Genome, records: list[_Record], five: Transcript,
    style: ContigStyle,
) -> _Molecules:  # fmt: skip
    """Every molecule of the library, in a seeded random order."""
    seed = spec.seed
    frags = _background(spec, genome, random.Random(f"{seed}:background"), five)
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
    through, rt_record = _read_through(spec, genome, style)
    frags += through
    frags += _paralog_fragments(spec, genome, random.Random(f"{seed}:paralog"))
    frags += _artefact_pairs(spec, genome, random.Random(f"{seed}:artefact"))
    chimeras, sites = intronic_chimeras(spec, genome, random.Random(f"{seed}:intronic"))
    frags += chimeras
    random.Random(f"{seed}:shuffle").shuffle(frags)
    return _Molecules(frags, rt_record, sites)


def _paralog_fragments(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    """The target's first junction type (ASPSCR1 exon 7 :: TFE3 exon 6) with the 3' part
    inside the 3' exon, which the processed-pseudogene copy on chr1 repeats: that part maps to
    two places."""
    five, three = _target_genes(genome)
    exon5 = genome.target.junction_types[0].exon_5p
    exon = three.exon(paralog_exon(genome.target))
    if spec.assay == "rna":
        pieces = exon_pieces(five, range(1, exon5 + 1), 0)
    else:
        pieces = [_arm(five.chrom, five.donor(exon5), five.strand, 0, before=True)]
    pieces.append(Piece(three.chrom, exon.start, exon.end, three.strand, 1))
    template = Template(pieces, genome, "paralog")
    (j,) = template.junctions
    L = spec.read_length
    out = []
    for _ in range(spec.paralog_fragments):
        s3 = rng.randint(SPLIT_SIDE, min(L - SPLIT_SIDE, exon.length))
        flen = fragment_length(rng, spec, L + s3, j + s3)
        reads = read_pair(spec, template, j + s3 - flen, flen, rng.random() < 0.5, rng)
        out.append(Fragment("", "paralog", reads))
    return out


def _artefact_pairs(spec: SimulationSpec, genome: Genome, rng: random.Random) -> list[Fragment]:
    """Single chimeric pairs, one mate anywhere in the 5' gene's (ASPSCR1) window and one in
    the 3' gene's (TFE3), random orientations, each at its own place."""
    L = spec.read_length
    seen: set[tuple[int, int]] = set()
    out: list[Fragment] = []
    while len(out) < spec.artefact_pairs:
        ends = []
        for tx in _target_genes(genome):
            ends.append((tx, rng.randint(tx.start - PANEL_FLANK, tx.end + PANEL_FLANK - L)))
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

_PROGRAMS = {
    "star_chimeric": ("STAR", "STAR --chimOutType WithinBAM --chimSegmentMin 20"),
    "star": ("STAR", "STAR --outSAMtype BAM SortedByCoordinate"),
    "hisat2": ("hisat2", "hisat2 --no-unal"),
    "bwa": ("bwa", "bwa mem -Y"),
}


def _header(genome: Genome, style: ContigStyle, spec: SimulationSpec) -> pysam.AlignmentHeader:
    pn, cl = _PROGRAMS[spec.aligner]
    programs = [
        {
            "ID": pn,
            "PN": pn,
            "CL": cl + (" -C" if spec.aligner == "bwa" and spec.umi in ("rx", "mi") else ""),
        }
    ]
    if spec.umi == "mi":
        programs.append(
            {
                "ID": "fgbio",
                "PN": "fgbio",
                "PP": pn,
                "CL": "fgbio GroupReadsByUmi --strategy adjacency --edits 1",
            }
        )
    programs.append(
        {
            "ID": "fusioncheck",
            "PN": "fusioncheck",
            "PP": programs[-1]["ID"],
            "VN": __version__,
            "CL": "fusioncheck simulate " + spec.options(),
        }
    )
    return pysam.AlignmentHeader.from_dict({
        "HD": {"VN": "1.6", "SO": "coordinate"},
        "SQ": [{"SN": style.to_bam(c), "LN": n} for c, n in genome.lengths.items()],
        "RG": [{"ID": spec.sample, "SM": spec.sample, "PL": "ILLUMINA"}],
        "PG": programs,
    })  # fmt: skip


def _write_bam(
    path: Path,
    records: list[dict[str, Any]],
    genome: Genome,
    style: ContigStyle,
    spec: SimulationSpec,
) -> None:
    hdr = _header(genome, style, spec)
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
            a.next_reference_id = tid[r["mate_chrom"]] if r["mate_chrom"] else -1
            a.next_reference_start = r["mate_pos"] - 1
            a.template_length = r["tlen"]
            a.query_sequence = r["seq"]
            a.query_qualities = pysam.qualitystring_to_array(r["qual"])
            a.set_tags([*r["tags"], ("RG", spec.sample)])
            out.write(a)
    pysam.index(str(path))


def _write_fastq(path: Path, entries: list[str]) -> None:
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6) as out,
    ):
        out.write("".join(entries).encode())


def _fastq_qual(read) -> str:  # type: ignore[no-untyped-def]
    quals = ["I"] * len(read.seq)
    for i in read.errors:
        quals[i] = "+"
    return "".join(quals)


def _write_reads(
    spec: SimulationSpec, named: list[Fragment], genome: Genome, style: ContigStyle, outdir: Path
) -> dict[str, bool]:
    """Write the BAM and FASTQs; return which read pairs the aligner wrote."""
    copied = _target_genes(genome)[1].exon(paralog_exon(genome.target))
    paralog = (genome.paralog[0], genome.paralog[1], copied.end)
    sam: list[dict[str, Any]] = []
    fastq: list[list[str]] = [[], []]
    in_bam: dict[str, bool] = {}
    for f in named:
        comment = fastq_comment(spec, f)
        for read, entries in zip(f.reads, fastq):
            entries.append(f"@{f.name}{comment}\n{read.seq}\n+\n{_fastq_qual(read)}\n")
        placed = place(f, spec.aligner, genome, supplementary=not spec.no_supplementary)
        in_bam[f.name] = placed is not None
        if placed is not None:
            for record in finish(f, placed, spec.aligner, style, genome, paralog):
                record["tags"] += umi_tags(spec, f)
                sam.append(record)
    _write_bam(outdir / "sample.bam", sam, genome, style, spec)
    _write_fastq(outdir / "reads_1.fq.gz", fastq[0])
    if not spec.single_end:
        _write_fastq(outdir / "reads_2.fq.gz", fastq[1])
    return in_bam


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
    known = spec.five_prime in known_partners(spec)
    locus = None if known else parse_locus(spec.five_prime, spec.build)
    genome = build_genome(spec.build, (locus,) if locus else (), spec.target)
    five = genome.genes[spec.five_prime if locus is None else f"{locus[0]}:{locus[1]}"]
    records = _fusion_records(spec, genome, five)
    molecules = _molecules(spec, genome, records, five, style)
    named = sequence_library(spec, molecules.fragments)
    in_bam = _write_reads(spec, named, genome, style, outdir)
    fasta = place_genome(
        genome, style, outdir, Path(genome_cache) if genome_cache is not None else None
    )
    write_windows(genome, style, outdir / "windows.fa", outdir / "genes.gtf")
    truth = _truth(spec, style, genome, records, named, in_bam, molecules)
    (outdir / "truth.json").write_text(json.dumps(truth, indent=1) + "\n")
    return SimulationResult(
        outdir=outdir,
        genome=fasta,
        bam=outdir / "sample.bam",
        truth=outdir / "truth.json",
        fastq1=outdir / "reads_1.fq.gz",
        fastq2=None if spec.single_end else outdir / "reads_2.fq.gz",
        windows=outdir / "windows.fa",
        gtf=outdir / "genes.gtf",
        spec=spec,
    )


# --- truth ------------------------------------------------------------------------------------


def _original(f: Fragment) -> bool:
    """The molecule's first read pair (not a PCR copy, not a flagged duplicate)."""
    return not f.duplicate_of and not f.copy_of


def _fusion_entry(
    spec: SimulationSpec, style: ContigStyle, rec: _Record, mine: list[Fragment],
    in_bam: dict[str, bool],
) -> dict[str, Any]:  # fmt: skip
    seen = [f for f in mine if _original(f) and in_bam[f.name]]
    entry = {
        "role": rec.role,
        "five_prime_gene": rec.five.gene,
        "three_prime_gene": rec.three.gene,
        "transcript_5p": rec.five.transcript_id,
        "transcript_3p": rec.three.transcript_id,
        "breakpoint_5p": f"{style.to_bam(rec.five.chrom)}:{rec.breakpoint_5p}",
        "breakpoint_3p": f"{style.to_bam(rec.three.chrom)}:{rec.breakpoint_3p}",
        "exon_5p": rec.exon_5p,
        "exon_3p": rec.exon_3p,
        "reading_frame": (
            "non-coding"
            if "synthetic" in (rec.five.transcript_id, rec.three.transcript_id)
            else reading_frame(rec.five, rec.exon_5p, rec.three, rec.exon_3p)
        ),
        # fragments = molecules; the split/spanning counts are of molecules the BAM holds
        "fragments": sum(1 for f in mine if _original(f)),
        "split_fragments": sum(1 for f in seen if junction_kind(f) == "split"),
        "spanning_fragments": sum(1 for f in seen if junction_kind(f) == "spanning"),
        "read_pairs": sum(1 for f in mine if in_bam[f.name]),
    }
    if spec.assay == "dna":
        entry["intron_5p"] = rec.intron_5p
        entry["intron_3p"] = rec.intron_3p
    return entry


def _listed(spec: SimulationSpec, f: Fragment, in_bam: dict[str, bool]) -> dict[str, Any]:
    entry = {
        "name": f.name,
        "source": f.source,
        "kind": junction_kind(f, SPLIT_MIN_SIDE),
        "in_bam": in_bam[f.name],
        "duplicate_of": f.duplicate_of,
        "copy_of": f.copy_of,
        "molecule": f.molecule,
    }
    if spec.umi != "none":
        entry["umi"] = f.umi
    if f.record is not None:
        entry["record"] = f.record
    return entry


def _library(
    spec: SimulationSpec, genome: Genome, frags: list[Fragment], in_bam: dict[str, bool]
) -> dict[str, Any]:
    """How the molecules were sequenced, and what the design targets."""
    out: dict[str, Any] = {
        "molecules": sum(1 for f in frags if _original(f)),
        "read_pairs": len(frags),
        "read_pairs_in_bam": sum(in_bam.values()),
        "pcr_copies": spec.pcr_copies,
        "flagged_duplicates": sum(1 for f in frags if f.duplicate_of),
        "umi": spec.umi,
        "paired": not spec.single_end,
        "stranded": "read1_antisense" if spec.stranded else "unstranded",
        "supplementary_records": not spec.no_supplementary,
        "ffpe": spec.ffpe,
    }
    if spec.design == "amp":
        style = ContigStyle(spec.contig_style)
        three = _target_genes(genome)[1]
        out["primers"] = [
            {"gene": three.gene, "exon": p.exon, "read_strand": p.read_strand,
             "read_start": f"{style.to_bam(p.chrom)}:{p.read_start}"}
            for p in amp_primers(three)
        ]  # fmt: skip
    return out


def _truth(
    spec: SimulationSpec,
    style: ContigStyle,
    genome: Genome,
    records: list[_Record],
    frags: list[Fragment],
    in_bam: dict[str, bool],
    molecules: _Molecules,
) -> dict[str, Any]:
    fusions = [
        _fusion_entry(spec, style, rec, [f for f in frags if f.record == k], in_bam)
        for k, rec in enumerate(records)
    ]
    background = [f for f in frags if f.source == "background"]
    return {
        "fusioncheck_simulate": __version__,
        "spec": {k: list(v) if isinstance(v, tuple) else v for k, v in spec.fields().items()},
        "build": spec.build,
        "contig_style": spec.contig_style,
        "assay": spec.assay,
        "design": spec.design,
        "baits": spec.baits,
        "aligner": spec.aligner,
        "sample": spec.sample,
        "library": _library(spec, genome, frags, in_bam),
        "fusions": fusions,
        "artefacts": _artefacts(spec, style, genome, molecules),
        "fragments": [_listed(spec, f, in_bam) for f in frags if f.source != "background"],
        "background_fragments": sum(1 for f in background if _original(f)),
        "duplicate_fragments": [f.name for f in frags if f.duplicate_of],
        "genome_windows": [
            f"{style.to_bam(c)}:{s}-{e}" for c, runs in genome.windows.items() for s, e, _ in runs
        ],
    }


def _artefacts(
    spec: SimulationSpec, style: ContigStyle, genome: Genome, molecules: _Molecules
) -> dict[str, Any]:
    """The non-fusion traps the fixture holds, and where."""
    five, three = _target_genes(genome)
    exon5, exon3 = genome.target.junction_types[0].exon_5p, paralog_exon(genome.target)
    chrom, start, end = genome.paralog

    def locus(chrom: str, pos: int) -> str:
        return f"{style.to_bam(chrom)}:{pos}"

    return {
        "paralog": {
            "fragments": spec.paralog_fragments,
            "copy": locus(chrom, start) + f"-{end}",
            "copy_of": f"{three.gene} exon {exon3}",
            "junction": {
                "breakpoint_5p": locus(five.chrom, five.donor(exon5)),
                "breakpoint_3p": locus(three.chrom, three.acceptor(exon3)),
            },
        },
        "artefact_pairs": spec.artefact_pairs,
        "read_through": dict(molecules.read_through or {}, fragments=spec.read_through),
        "intronic_chimeras": [
            dict(
                site,
                breakpoint_5p=locus(five.chrom, site["breakpoint_5p"]),
                breakpoint_3p=locus(three.chrom, site["breakpoint_3p"]),
            )
            for site in molecules.chimeras
        ],  # fmt: skip
    }
