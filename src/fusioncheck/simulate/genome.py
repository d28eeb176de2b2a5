"""Synthetic genome: random sequence in windows around the known genes, ``N`` elsewhere.

The contigs have the real lengths of the build, so a BAM aligned to it has a real header.
Every base derives from a fixed genome seed and its own position (one random draw per
kilobase chunk), so all fixtures of one build share one genome whatever else they contain.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from fusioncheck.errors import UsageError
from fusioncheck.genes import CONTIG_LENGTHS, ContigStyle, Exon, Transcript
from fusioncheck.sequence import reverse_complement
from fusioncheck.target import DEFAULT_TARGET, Target, load_target

GENOME_SEED = 1729
#: Random sequence this far each side of every gene.
FLANK = 10_000
_CHUNK = 1000
_BASES = np.frombuffer(b"ACGT", dtype=np.uint8)

#: A processed-pseudogene copy of a 3' gene exon (TFE3 exon 6: the 3' exon of the target's
#: first junction type; transcript orientation, + strand) on chr1: reads whose 3' part lies
#: in that exon align to both places.
PARALOG_CHROM = "chr1"
PARALOG_START = 100_000_001
#: The synthetic neighbour whose read-through transcript joins the 3' gene's (TFE3) exon 2.
READ_THROUGH_GENE = "RTNB"
READ_THROUGH_GAP = 20_000
READ_THROUGH_EXON = 2


def parse_locus(text: str, build: str) -> tuple[str, int] | None:
    """``chr1:120000000`` (or ``1:120000000``) -> (``chr1``, 120000000); None if not a locus."""
    if ":" not in text:
        return None
    chrom, _, pos = text.partition(":")
    chrom = ContigStyle("plain").from_bam(chrom)
    try:
        position = int(pos.replace(",", ""))
    except ValueError:
        raise UsageError(f"{text!r}: a locus partner is CHROM:POS, e.g. chr1:120000000") from None
    length = CONTIG_LENGTHS[build].get(chrom)
    if length is None:
        known = ", ".join(CONTIG_LENGTHS[build])
        raise UsageError(f"{text!r}: the simulated genome has only {known}")
    if not 2 * FLANK < position < length - 2 * FLANK:
        raise UsageError(f"{text!r}: position must lie inside {chrom} (1..{length:,})")
    return chrom, position


def locus_transcript(chrom: str, pos: int) -> Transcript:
    """An unannotated partner: a synthetic 400-base exon 1 ending (donor) at ``pos`` and a
    300-base exon 2 two kilobases downstream (kept by a reciprocal)."""
    return Transcript(
        gene=f"{chrom}:{pos}",
        transcript_id="synthetic",
        refseq=None,
        chrom=chrom,
        strand="+",
        cytoband=".",
        exons=(Exon(1, pos - 399, pos, None, None), Exon(2, pos + 2001, pos + 2300, None, None)),
    )


def paralog_exon(target: Target) -> int:
    """The 3' gene exon the processed pseudogene copies: that of the first junction type."""
    return target.junction_types[0].exon_3p


def read_through_transcript(three: Transcript) -> Transcript:
    """A two-exon neighbour on the 3' gene's strand, its 3' end 20 kb upstream of it."""
    if three.strand == "-":
        g0 = three.end + READ_THROUGH_GAP + 1
        exons = (Exon(1, g0 + 1500, g0 + 1799, None, None), Exon(2, g0, g0 + 199, None, None))
    else:
        g1 = three.start - READ_THROUGH_GAP - 1
        exons = (Exon(1, g1 - 1799, g1 - 1500, None, None), Exon(2, g1 - 199, g1, None, None))
    return Transcript(
        gene=READ_THROUGH_GENE,
        transcript_id="synthetic",
        refseq=None,
        chrom=three.chrom,
        strand=three.strand,
        cytoband=".",
        exons=exons,
    )


def _chunk(build: str, chrom: str, k: int) -> str:
    seed = [GENOME_SEED, *build.encode(), *chrom.encode(), k]
    rng = np.random.default_rng(seed)
    return _BASES[rng.integers(0, 4, _CHUNK)].tobytes().decode()


def _random_sequence(build: str, chrom: str, start: int, end: int) -> str:
    """Bases start..end (1-based, closed) of the random background."""
    first, last = (start - 1) // _CHUNK, (end - 1) // _CHUNK
    text = "".join(_chunk(build, chrom, k) for k in range(first, last + 1))
    off = first * _CHUNK
    return text[start - 1 - off : end - off]


@dataclass
class Genome:
    """The synthetic genome in memory: window sequences by chr-style chromosome."""

    build: str
    lengths: dict[str, int]  # chr-style names, real lengths
    windows: dict[str, list[tuple[int, int, str]]]  # chrom -> [(start, end, seq)], sorted
    genes: dict[str, Transcript]  # every modelled gene on the genome, plus synthetic ones
    target: Target
    paralog: tuple[str, int, int]  # the pseudogene copy: chrom, start, end

    def fetch(self, chrom: str, start: int, end: int) -> str:
        """Bases start..end (1-based, closed) of chr-style ``chrom``; ``N`` outside windows."""
        for ws, we, seq in self.windows.get(chrom, ()):
            if ws <= start and end <= we:
                return seq[start - ws : end - ws + 1]
        out = []
        for p in range(start, end + 1):
            out.append("N")
            for ws, we, seq in self.windows.get(chrom, ()):
                if ws <= p <= we:
                    out[-1] = seq[p - ws]
                    break
        return "".join(out)

    def window_of(self, chrom: str, pos: int) -> tuple[int, int] | None:
        for ws, we, _ in self.windows.get(chrom, ()):
            if ws <= pos <= we:
                return ws, we
        return None


def _set(seq: list[str], ws: int, pos: int, bases: str) -> None:
    for i, b in enumerate(bases):
        seq[pos - ws + i] = b


_STOPS = {"TAA", "TAG", "TGA"}
_SENSE = [a + b + c for a in "ACGT" for b in "ACGT" for c in "ACGT" if a + b + c not in _STOPS]


def _write_orf(
    build: str, tx: Transcript, locate: Callable[[str, int], tuple[int, list[str]]]
) -> None:
    """Make the annotated CDS an open reading frame (ATG, sense codons, a stop), so fusion
    proteins translate as they would on a real genome."""
    cds = tx.cds_tx_range
    if cds is None:
        return
    rng = np.random.default_rng([GENOME_SEED, zlib.crc32(f"{build}:{tx.gene}".encode())])
    n_codons = (cds[1] - cds[0] + 1) // 3
    codons = [_SENSE[i] for i in rng.integers(0, len(_SENSE), n_codons - 2)]
    orf = "ATG" + "".join(codons) + "TGA"
    for offset, base in enumerate(orf):
        pos = tx.genomic_position(cds[0] + offset)
        ws, seq = locate(tx.chrom, pos)
        seq[pos - ws] = base if tx.strand == "+" else reverse_complement(base)


@cache
def build_genome(
    build: str, extra: tuple[tuple[str, int], ...] = (), target: str = DEFAULT_TARGET
) -> Genome:
    """The genome of ``build`` with the gene models of ``target``; ``extra`` adds
    unannotated-partner loci (chrom, pos)."""
    lengths = dict(CONTIG_LENGTHS[build])
    fusion = load_target(target)
    models = fusion.models(build)
    three = models[fusion.three_prime.gene]
    genes = {g: tx for g, tx in models.transcripts.items() if tx.chrom in lengths}
    rt = read_through_transcript(three)
    genes[rt.gene] = rt
    for chrom, pos in extra:
        tx = locus_transcript(chrom, pos)
        genes[tx.gene] = tx
    copied = three.exon(paralog_exon(fusion))
    paralog = (PARALOG_CHROM, PARALOG_START, PARALOG_START + copied.length - 1)
    spans = [(tx.chrom, tx.start, tx.end) for tx in genes.values()] + [paralog]
    coding = [tx for g, tx in models.transcripts.items() if g in genes]
    windows = _windows(build, lengths, spans, coding, genes)
    genome = Genome(build, lengths, windows, genes, fusion, paralog)
    copy = genome.fetch(three.chrom, copied.start, copied.end)
    if three.strand == "-":
        copy = reverse_complement(copy)
    ws, _, text = next(w for w in windows[PARALOG_CHROM] if w[0] <= PARALOG_START <= w[1])
    i = PARALOG_START - ws
    patched = text[:i] + copy + text[i + len(copy) :]
    windows[PARALOG_CHROM] = [
        (s, e, patched if s == ws else q) for s, e, q in windows[PARALOG_CHROM]
    ]
    return genome


def _windows(
    build: str,
    lengths: dict[str, int],
    spans: list[tuple[str, int, int]],
    coding: list[Transcript],
    genes: dict[str, Transcript],
) -> dict[str, list[tuple[int, int, str]]]:
    """Random sequence over ``spans`` +- ``FLANK`` (merged), with open reading frames for the
    ``coding`` transcripts and canonical splice sites for every gene."""
    merged: dict[str, list[list[int]]] = {}
    for chrom, s, e in sorted(spans):
        s, e = max(1, s - FLANK), min(lengths[chrom], e + FLANK)
        runs = merged.setdefault(chrom, [])
        if runs and s <= runs[-1][1] + 1:
            runs[-1][1] = max(runs[-1][1], e)
        else:
            runs.append([s, e])
    mutable: dict[str, list[tuple[int, int, list[str]]]] = {
        chrom: [(s, e, list(_random_sequence(build, chrom, s, e))) for s, e in runs]
        for chrom, runs in merged.items()
    }

    def locate(chrom: str, pos: int) -> tuple[int, list[str]]:
        for ws, we, seq in mutable[chrom]:
            if ws <= pos <= we:
                return ws, seq
        raise AssertionError(f"{chrom}:{pos} outside the windows")

    for tx in coding:
        _write_orf(build, tx, locate)

    # Canonical splice sites (GT..AG in transcription orientation) so real aligners splice.
    for tx in genes.values():
        ordered = sorted(tx.exons, key=lambda x: x.start)
        for a, b in zip(ordered, ordered[1:]):
            lo, hi = a.end + 1, b.start - 1
            ws, seq = locate(tx.chrom, lo)
            if tx.strand == "+":
                _set(seq, ws, lo, "GT")
                _set(seq, ws, hi - 1, "AG")
            else:
                _set(seq, ws, lo, "CT")
                _set(seq, ws, hi - 1, "AC")
    return {chrom: [(s, e, "".join(seq)) for s, e, seq in runs] for chrom, runs in mutable.items()}


# --- FASTA writing ----------------------------------------------------------------------------

_LINE = 60
_LINES_PER_BLOCK = 1000
_BLOCK_BASES = _LINE * _LINES_PER_BLOCK
_BGZF_EOF = bytes.fromhex("1f8b08040000000000ff0600424302001b0003000000000000000000")


def _bgzf_block(data: bytes) -> bytes:
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    cdata = comp.compress(data) + comp.flush()
    bsize = len(cdata) + 25
    head = b"\x1f\x8b\x08\x04\x00\x00\x00\x00\x00\xff\x06\x00BC\x02\x00" + struct.pack("<H", bsize)
    return head + cdata + struct.pack("<II", zlib.crc32(data), len(data))


def _lines(seq: str) -> bytes:
    return "".join(seq[i : i + _LINE] + "\n" for i in range(0, len(seq), _LINE)).encode()


def write_fasta(genome: Genome, style: ContigStyle, path: Path) -> None:
    """Write ``path`` (bgzip FASTA) with ``.fai`` and ``.gzi``, as `samtools faidx` would.

    A block of all-``N`` lines compresses to the same bytes every time, so it is compressed
    once and repeated: the real chromosome lengths cost almost nothing.
    """
    n_block = _bgzf_block(_lines("N" * _BLOCK_BASES))
    fai: list[str] = []
    gzi: list[tuple[int, int]] = []
    coff = uoff = 0
    with open(path, "wb") as out:

        def emit(block: bytes, usize: int) -> None:
            nonlocal coff, uoff
            out.write(block)
            coff += len(block)
            uoff += usize
            gzi.append((coff, uoff))

        for chrom, length in genome.lengths.items():
            name = style.to_bam(chrom)
            head = f">{name}\n".encode()
            emit(_bgzf_block(head), len(head))
            fai.append(f"{name}\t{length}\t{uoff}\t{_LINE}\t{_LINE + 1}\n")
            windows = genome.windows.get(chrom, [])
            for first in range(0, length, _BLOCK_BASES):
                last = min(length, first + _BLOCK_BASES)  # 0-based, exclusive
                hits = [w for w in windows if w[0] - 1 < last and w[1] > first]
                if not hits and last - first == _BLOCK_BASES:
                    emit(n_block, _BLOCK_BASES + _LINES_PER_BLOCK)
                    continue
                chunk = ["N" * (last - first)]
                text = chunk[0]
                for ws, we, seq in hits:
                    s, e = max(first, ws - 1), min(last, we)
                    text = text[: s - first] + seq[s - ws + 1 : e - ws + 1] + text[e - first :]
                data = _lines(text)
                emit(_bgzf_block(data), len(data))
        out.write(_BGZF_EOF)
    gzi.pop()  # htslib lists the start of every block but the first, not the EOF marker
    Path(str(path) + ".fai").write_text("".join(fai))
    with open(str(path) + ".gzi", "wb") as handle:
        handle.write(struct.pack("<Q", len(gzi)))
        for c, u in gzi:
            handle.write(struct.pack("<QQ", c, u))


def window_contig(style: ContigStyle, chrom: str, start: int) -> str:
    """Name of a window contig in ``windows.fa``: ``chr17__81967549`` = offset of base 1."""
    return f"{style.to_bam(chrom)}__{start - 1}"


def parse_window_contig(name: str) -> tuple[str, int] | None:
    chrom, sep, offset = name.rpartition("__")
    if not sep or not offset.isdigit():
        return None
    return chrom, int(offset)


def write_windows(genome: Genome, style: ContigStyle, fasta: Path, gtf: Path) -> None:
    """Each window as its own contig (for small aligner indexes) and the exons on them."""
    with open(fasta, "w") as out:
        for chrom, runs in genome.windows.items():
            for ws, _we, seq in runs:
                out.write(f">{window_contig(style, chrom, ws)}\n")
                out.write(_lines(seq).decode())
    rows = []
    for tx in sorted(genome.genes.values(), key=lambda t: (t.chrom, t.start)):
        win = genome.window_of(tx.chrom, tx.start)
        assert win is not None
        contig, off = window_contig(style, tx.chrom, win[0]), win[0] - 1
        attrs = f'gene_id "{tx.gene}"; transcript_id "{tx.transcript_id}"; gene_name "{tx.gene}";'
        for e in tx.exons:
            rows.append(
                f"{contig}\tfusioncheck\texon\t{e.start - off}\t{e.end - off}\t.\t{tx.strand}\t.\t"
                f'{attrs} exon_number "{e.number}";\n'
            )
    gtf.write_text("".join(rows))


def place_genome(
    genome: Genome, style: ContigStyle, outdir: Path, cache_dir: Path | None = None
) -> Path:
    """Write ``outdir/genome.fa.gz`` (+ indexes); with ``cache_dir``, write it there once per
    genome and hard-link (or copy) it into ``outdir``."""
    target = outdir / "genome.fa.gz"
    if cache_dir is None:
        write_fasta(genome, style, target)
        return target
    extra = "_".join(f"{c}-{p}" for c, p in sorted(_extra_loci(genome)))
    key = f"{genome.build}_{style.style}" + (f"_{extra}" if extra else "")
    if genome.target.name != load_target().name:  # another target's genes: another genome
        key += "_" + "".join(c if c.isalnum() else "_" for c in genome.target.name)
    cached = cache_dir / key / "genome.fa.gz"
    if not cached.exists():
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.parent / f"tmp{os.getpid()}.fa.gz"
        write_fasta(genome, style, tmp)
        for suffix in (".fai", ".gzi"):
            os.replace(str(tmp) + suffix, str(cached) + suffix)
        os.replace(tmp, cached)
    for suffix in ("", ".fai", ".gzi"):
        src, dst = Path(str(cached) + suffix), Path(str(target) + suffix)
        if dst.exists():
            dst.unlink()
        try:
            os.link(src, dst)
        except OSError:
            shutil.copyfile(src, dst)
    return target


def _extra_loci(genome: Genome) -> list[tuple[str, int]]:
    return [
        (tx.chrom, tx.exons[0].end)
        for tx in genome.genes.values()
        if tx.transcript_id == "synthetic" and tx.gene != READ_THROUGH_GENE
    ]
