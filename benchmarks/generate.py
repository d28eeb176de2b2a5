"""Large, realistic, deterministic BAMs for the benchmarks, fast.

The simulator (``fusioncheck simulate``) writes every record through pysam, about 20,000 records
a second: 100 million records would take well over an hour.  Here the simulator only writes the
reads at the target loci (the fusion, the background over ASPSCR1 and TFE3, whatever else it
puts near them), and *filler* read pairs are written straight as BAM binary records built with
numpy, in coordinate order, with the simulator's records spliced into the same stream at their
place.  The raw stream goes to ``bgzip -@2`` (a BAM file is a BGZF file), then ``samtools index``.
No sort and no SAM text parsing: the cost is the compression.

Filler pairs: uniform over every contig the simulator's header declares (with their real
lengths), outside *reserved* regions (the target windows and wherever the simulator put
reads, with a margin), so the target windows hold exactly the simulator's reads at every
size and a scan's result is the same as on the simulator's BAM alone.  Fragment sizes are
normal around the simulator's mean; mates face each other (flags 99/147 or 163/83); MAPQ 60,
3% MAPQ 0; RNA filler has 30% spliced reads (``xMyNzM``); the last 1% of pairs are unmapped
(the unmapped tail at the end of the file).  Sequences and qualities come from pools of random
bases and Illumina-like binned qualities, so the file compresses about like a real one.

Same arguments, same bytes: every random draw comes from ``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

import argparse
import gzip
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

READ_LENGTH = 100
NAME_LENGTH = 11  # "F" + 9 digits + NUL
UNMAPPED_FRACTION = 0.01
SPLICED_FRACTION = 0.30  # RNA filler only
MAPQ0_FRACTION = 0.03
BLOCK_FRAGMENTS = 400_000  # fragments per generated chunk (memory ~ 0.5 GB at most)
MARGIN = 20_000  # bases kept free of filler around the simulator's reads
MAX_INTRON = 5_000
POOL = 1 << 16

_BASE_CODES = np.array([1, 2, 4, 8], dtype=np.uint8)  # A C G T in BAM 4-bit encoding
_QUALS = np.array([37, 37, 37, 37, 37, 37, 25, 12, 37, 37, 37, 37, 37, 2], dtype=np.uint8)


# --- the simulator's BAM, raw -----------------------------------------------------------------


def read_raw_bam(path: Path) -> tuple[bytes, list[tuple[str, int]], list[tuple[int, int, bytes]]]:
    """(header text, references, records as (refID, pos, raw bytes)) of a small BAM."""
    data = gzip.decompress(path.read_bytes())
    assert data[:4] == b"BAM\1", f"{path} is not a BAM file"
    (l_text,) = struct.unpack_from("<i", data, 4)
    text = data[8 : 8 + l_text].rstrip(b"\0")
    offset = 8 + l_text
    (n_ref,) = struct.unpack_from("<i", data, offset)
    offset += 4
    refs = []
    for _ in range(n_ref):
        (l_name,) = struct.unpack_from("<i", data, offset)
        name = data[offset + 4 : offset + 4 + l_name - 1].decode()
        (length,) = struct.unpack_from("<i", data, offset + 4 + l_name)
        refs.append((name, length))
        offset += 8 + l_name
    records = []
    while offset < len(data):
        size, ref, pos = struct.unpack_from("<iii", data, offset)
        records.append((ref, pos, data[offset : offset + 4 + size]))
        offset += 4 + size
    return text, refs, records


def raw_header(text: bytes, refs: list[tuple[str, int]]) -> bytes:
    out = [b"BAM\1", struct.pack("<i", len(text)), text, struct.pack("<i", len(refs))]
    for name, length in refs:
        encoded = name.encode() + b"\0"
        out += [struct.pack("<i", len(encoded)), encoded, struct.pack("<i", length)]
    return b"".join(out)


def reserved_regions(records, windows: dict[int, list[tuple[int, int]]]) -> dict[int, list]:
    """Per refID, merged 0-based [start, end) regions where no filler goes."""
    spans: dict[int, list[tuple[int, int]]] = {r: list(w) for r, w in windows.items()}
    for ref, pos, _ in records:
        if ref >= 0:
            spans.setdefault(ref, []).append((pos, pos + 1))
    merged: dict[int, list[list[int]]] = {}
    for ref, items in spans.items():
        out: list[list[int]] = []
        for start, end in sorted(items):
            start, end = max(0, start - MARGIN), end + MARGIN
            if out and start <= out[-1][1]:
                out[-1][1] = max(out[-1][1], end)
            else:
                out.append([start, end])
        merged[ref] = out
    return merged


# --- filler records ---------------------------------------------------------------------------


def _rows(matrix: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``matrix[index]`` for a C-contiguous uint8 matrix, as a fast gather of whole rows."""
    width = matrix.shape[1]
    void = np.ascontiguousarray(matrix).view(np.dtype((np.void, width))).ravel()
    return void[index].view(np.uint8).reshape(len(index), width)


def reg2bin(beg: np.ndarray, end: np.ndarray) -> np.ndarray:
    """SAM spec reg2bin, vectorised (0-based, end exclusive)."""
    end = end - 1
    return np.select(
        [beg >> 14 == end >> 14, beg >> 17 == end >> 17, beg >> 20 == end >> 20,
         beg >> 23 == end >> 23, beg >> 26 == end >> 26],
        [4681 + (beg >> 14), 585 + (beg >> 17), 73 + (beg >> 20), 9 + (beg >> 23), 1 + (beg >> 26)],
        0,
    ).astype(np.uint16)  # fmt: skip


RECORD_FIELDS = [
    ("pos", "<i4"), ("mpos", "<i4"), ("tlen", "<i4"), ("flag", "<u2"), ("mapq", "u1"),
    ("fid", "<u4"), ("m1", "<u2"), ("nlen", "<i4"), ("seq", "<u4"), ("qual", "<u4"),
]  # fmt: skip


class Filler:
    def __init__(self, seed: int, rg: bytes, rna: bool, fragment_mean: int, fragment_sd: int):
        self.rng = np.random.default_rng(seed)
        self.rna = rna
        self.mean, self.sd = fragment_mean, fragment_sd
        self.fid = 0
        rng = self.rng
        self.seq_pool = _BASE_CODES[rng.integers(0, 4, (POOL, READ_LENGTH))]
        self.seq_pool = (self.seq_pool[:, 0::2] << 4 | self.seq_pool[:, 1::2]).astype(np.uint8)
        self.qual_pool = _QUALS[rng.integers(0, len(_QUALS), (POOL, READ_LENGTH))]
        # Runs of equal qualities, as binned Illumina qualities have.
        self.qual_pool = np.repeat(self.qual_pool[:, ::10], 10, axis=1)
        self.tags = b"NMC\0" + b"RGZ" + rg + b"\0"
        #: refID -> (0-based start, 4-bit base codes): filler reads there carry the genome's
        #: sequence (panel BAMs, whose windows the scan checks against the FASTA).
        self.reference: dict[int, tuple[int, np.ndarray]] = {}

    # Fragments -> two records each, as a structured array (not yet sorted).
    def fragments(self, starts: np.ndarray, unmapped: bool = False) -> np.ndarray:
        n = len(starts)
        rng = self.rng
        recs = np.zeros(2 * n, dtype=RECORD_FIELDS)
        fid = np.arange(self.fid, self.fid + n, dtype=np.uint32)
        self.fid += n
        recs["fid"] = np.repeat(fid, 2)
        recs["seq"] = rng.integers(0, POOL, 2 * n)
        recs["qual"] = rng.integers(0, POOL, 2 * n)
        if unmapped:
            recs["flag"] = np.tile(np.array([77, 141], dtype=np.uint16), n)
            recs["pos"] = recs["mpos"] = -1
            return recs
        size = np.clip(rng.normal(self.mean, self.sd, n), READ_LENGTH, 3 * self.mean).astype(int)
        nlen = np.zeros((n, 2), dtype=np.int64)
        m1 = np.full((n, 2), READ_LENGTH)
        if self.rna:
            spliced = rng.random((n, 2)) < SPLICED_FRACTION
            nlen[spliced] = rng.integers(80, MAX_INTRON, spliced.sum())
            m1[spliced] = rng.integers(20, READ_LENGTH - 20, spliced.sum())
        pos1 = starts
        pos2 = starts + nlen[:, 0] + np.maximum(size - READ_LENGTH, 0)
        end2 = pos2 + READ_LENGTH + nlen[:, 1]
        first_forward = rng.random(n) < 0.5
        mapq = np.where(rng.random(n) < MAPQ0_FRACTION, 0, 60).astype(np.uint8)
        r = recs.reshape(n, 2)
        r["pos"][:, 0], r["pos"][:, 1] = pos1, pos2
        r["mpos"][:, 0], r["mpos"][:, 1] = pos2, pos1
        r["tlen"][:, 0], r["tlen"][:, 1] = end2 - pos1, -(end2 - pos1)
        # The leftmost mate is forward: read 1 (99/147) or read 2 (163/83).
        r["flag"][:, 0] = np.where(first_forward, 99, 163)
        r["flag"][:, 1] = np.where(first_forward, 147, 83)
        r["mapq"] = mapq[:, None]
        r["nlen"], r["m1"] = nlen, m1
        return recs

    def encode(self, recs: np.ndarray, ref: int) -> bytes:
        """BAM binary records, in the given order.

        Every record of a chunk has the same size, so the chunk is one uint8 matrix: a spliced
        read's CIGAR has three operations (8 bytes more than ``100M``), and an unspliced read
        carries STAR's ``AS`` and ``nM`` tags (8 bytes) instead.
        """
        n = len(recs)
        if n == 0:
            return b""
        unmapped = recs["pos"] < 0
        spliced = recs["nlen"] > 0
        mixed = bool(spliced.any())
        name_end = 36 + NAME_LENGTH
        fixed = name_end + (12 if mixed else 4)
        width = fixed + READ_LENGTH // 2 + READ_LENGTH + len(self.tags)
        rows = np.zeros((n, width), dtype=np.uint8)
        head = np.zeros(
            n,
            dtype=[("size", "<i4"), ("ref", "<i4"), ("pos", "<i4"), ("l_name", "u1"),
                   ("mapq", "u1"), ("bin", "<u2"), ("n_cigar", "<u2"), ("flag", "<u2"),
                   ("l_seq", "<i4"), ("mref", "<i4"), ("mpos", "<i4"), ("tlen", "<i4")],
        )  # fmt: skip
        pos = recs["pos"].astype(np.int64)
        head["size"] = width - 4
        head["ref"] = np.where(unmapped, -1, ref)
        head["pos"] = recs["pos"]
        head["l_name"] = NAME_LENGTH
        head["mapq"] = np.where(unmapped, 0, recs["mapq"])
        head["bin"] = np.where(
            unmapped, 4680, reg2bin(np.maximum(pos, 0), pos + READ_LENGTH + recs["nlen"])
        )
        head["n_cigar"] = np.where(unmapped, 0, np.where(spliced, 3, 1))
        head["flag"] = recs["flag"]
        head["l_seq"] = READ_LENGTH
        head["mref"] = np.where(unmapped, -1, ref)
        head["mpos"] = recs["mpos"]
        head["tlen"] = recs["tlen"]
        rows[:, :36] = head.view(np.uint8).reshape(n, 36)
        digits = (recs["fid"][:, None] // 10 ** np.arange(8, -1, -1, dtype=np.uint32)) % 10
        rows[:, 36] = ord("F")
        rows[:, 37 : name_end - 1] = digits + 48
        rows[:, name_end : name_end + 4] = np.frombuffer(
            struct.pack("<I", READ_LENGTH << 4), dtype=np.uint8
        )  # 100M
        # Gathers and row copies through void views: one memcpy per row, not per byte.
        payload = np.empty((n, READ_LENGTH // 2 + READ_LENGTH + len(self.tags)), dtype=np.uint8)
        payload[:, : READ_LENGTH // 2] = (
            self.genome_seq(recs, ref)
            if ref in self.reference
            else _rows(self.seq_pool, recs["seq"])
        )
        payload[:, READ_LENGTH // 2 : READ_LENGTH // 2 + READ_LENGTH] = _rows(
            self.qual_pool, recs["qual"]
        )
        payload[:, READ_LENGTH // 2 + READ_LENGTH :] = np.frombuffer(self.tags, dtype=np.uint8)
        if not mixed:
            rows[:, fixed:] = payload
        else:
            # Unspliced layout for every row, then the spliced rows rebuilt and copied over.
            rows[:, name_end + 4 : width - 8] = payload
            rows[:, width - 8 :] = np.frombuffer(b"ASCb" + b"nMC\0", dtype=np.uint8)
            s = np.flatnonzero(spliced)
            m1 = recs["m1"][s].astype("<u4")
            cigar = np.stack(
                [m1 << 4, recs["nlen"][s].astype("<u4") << 4 | 3, (READ_LENGTH - m1) << 4], axis=1
            ).astype("<u4")
            sp = _rows(rows, s)
            sp[:, name_end:fixed] = cigar.view(np.uint8).reshape(len(s), 12)
            sp[:, fixed:] = _rows(payload, s)
            rows.view(np.dtype((np.void, width))).ravel()[s] = sp.view(
                np.dtype((np.void, width))
            ).ravel()
        if unmapped.any():
            # No CIGAR on an unmapped read: drop its 4 CIGAR bytes.
            assert not mixed and unmapped.all()
            rows = np.delete(rows, np.s_[name_end : name_end + 4], axis=1)
            rows[:, :4] = np.frombuffer(struct.pack("<i", width - 8), dtype=np.uint8)
        return rows.tobytes()

    def genome_seq(self, recs: np.ndarray, ref: int) -> np.ndarray:
        """Packed 4-bit sequences of the records' aligned bases, read from the genome."""
        start, codes = self.reference[ref]
        step = np.arange(READ_LENGTH)
        # The bases of a spliced read after its first block lie past the intron.
        at = recs["pos"][:, None] + step + (step >= recs["m1"][:, None]) * recs["nlen"][:, None]
        bases = codes[np.clip(at - start, 0, len(codes) - 1)]
        return (bases[:, 0::2] << 4 | bases[:, 1::2]).astype(np.uint8)

    def interval(self, ref: int, lo: int, hi: int, fragments: int, out) -> None:
        """Write ``fragments`` filler pairs starting in [lo, hi), sorted, whole inside [lo, hi)."""
        hi = hi - 3 * self.mean - 2 * MAX_INTRON - 2 * READ_LENGTH
        if fragments <= 0 or hi <= lo:
            return
        blocks = max(1, fragments // BLOCK_FRAGMENTS)
        edges = np.linspace(lo, hi, blocks + 1).astype(np.int64)
        counts = self.rng.multinomial(fragments, np.diff(edges) / (hi - lo))
        pending = np.zeros(0, dtype=RECORD_FIELDS)
        for i in range(blocks):
            starts = np.sort(self.rng.integers(edges[i], edges[i + 1], counts[i]))
            recs = np.concatenate([pending, self.fragments(starts)])
            recs = recs[np.argsort(recs["pos"], kind="stable")]
            cut = len(recs) if i == blocks - 1 else np.searchsorted(recs["pos"], edges[i + 1])
            out.write(self.encode(recs[:cut], ref))
            pending = recs[cut:]

    def starts(self, ref: int, starts: np.ndarray, sim: list[tuple[int, bytes]], out) -> None:
        """Write filler pairs starting at the sorted ``starts`` on ``ref``, with the simulator's
        records (``(pos, raw)``, sorted) merged into the stream at their place."""
        pending = np.zeros(0, dtype=RECORD_FIELDS)
        sim_pos = np.array([pos for pos, _ in sim], dtype=np.int64)
        done = 0  # simulator records written
        for i in range(0, max(len(starts), 1), BLOCK_FRAGMENTS):
            block = starts[i : i + BLOCK_FRAGMENTS]
            last = i + BLOCK_FRAGMENTS >= len(starts)
            recs = np.concatenate([pending, self.fragments(block)])
            recs = recs[np.argsort(recs["pos"], kind="stable")]
            cut = len(recs) if last else np.searchsorted(recs["pos"], starts[i + BLOCK_FRAGMENTS])
            rows, pending = recs[:cut], recs[cut:]
            raw = self.encode(rows, ref)
            width = len(raw) // max(1, len(rows))
            # Simulator records before the next block's first start go in this block.
            upto = len(sim) if last else int(np.searchsorted(sim_pos, rows["pos"][-1], "right"))
            at = np.searchsorted(rows["pos"], sim_pos[done:upto], "right")
            prev = 0
            for k, j in enumerate(at):
                out.write(raw[prev * width : j * width])
                out.write(sim[done + k][1])
                prev = j
            out.write(raw[prev * width :])
            done = upto


def panel_starts(rng, spans: list[tuple[int, int]], n: int) -> np.ndarray:
    """``n`` sorted fragment starts, uniform over the bases of ``spans`` (0-based, half-open)."""
    lengths = np.array([hi - lo for lo, hi in spans], dtype=np.int64)
    offsets = np.sort(rng.integers(0, lengths.sum(), n))
    edges = np.concatenate([[0], np.cumsum(lengths)])
    which = np.searchsorted(edges, offsets, "right") - 1
    return np.array([lo for lo, _ in spans], dtype=np.int64)[which] + offsets - edges[which]


def build_panel(
    sim_bam: Path, out_bam: Path, window_reads: int, rna: bool, seed: int,
    spans: dict[str, list[tuple[int, int]]], mean: int, sd: int, genome: Path, level: int = 1,
) -> None:  # fmt: skip
    """A panel-depth BAM: the simulator's records plus filler pairs whose starts are uniform
    over ``spans`` (per chromosome: exons for an RNA panel, whole windows for DNA tiling), up
    to about ``window_reads`` records in all, with the sequence of ``genome`` (the simulator's
    FASTA); nothing elsewhere, no unmapped tail."""
    import pysam

    text, refs, records = read_raw_bam(sim_bam)
    filler = Filler(seed, b"simulated", rna, mean, sd)
    lookup = np.full(256, 15, dtype=np.uint8)  # N
    for base, code in zip(b"ACGTacgt", [1, 2, 4, 8] * 2):
        lookup[base] = code
    with pysam.FastaFile(str(genome)) as fasta:
        for ref, (name, _) in enumerate(refs):
            if name in spans:
                lo = max(0, min(a for a, _ in spans[name]) - 4 * MARGIN)
                hi = min(
                    fasta.get_reference_length(name), max(b for _, b in spans[name]) + 4 * MARGIN
                )
                text_seq = fasta.fetch(name, lo, hi).encode()
                filler.reference[ref] = (lo, lookup[np.frombuffer(text_seq, dtype=np.uint8)])
    pairs = max(0, window_reads - len(records)) // 2
    total = sum(hi - lo for s in spans.values() for lo, hi in s)
    per_chrom = {c: pairs * sum(hi - lo for lo, hi in s) // total for c, s in spans.items()}
    by_ref: dict[int, list[tuple[int, bytes]]] = {}
    for ref, pos, raw in records:
        by_ref.setdefault(ref, []).append((pos, raw))
    tmp = out_bam.with_name(f".{out_bam.name}.tmp")
    with open(tmp, "wb") as handle:
        bgzip = subprocess.Popen(
            ["bgzip", "-@", "2", "-l", str(level), "-c"], stdin=subprocess.PIPE, stdout=handle
        )
        out = bgzip.stdin
        assert out is not None
        out.write(raw_header(text, refs))
        for ref, (name, _) in enumerate(refs):
            sim = by_ref.get(ref, [])
            if name in spans:
                filler.starts(ref, panel_starts(filler.rng, spans[name], per_chrom[name]), sim, out)
            else:
                out.write(b"".join(raw for _, raw in sim))
        out.write(b"".join(raw for _, raw in by_ref.get(-1, [])))
        out.close()
        if bgzip.wait() != 0:
            sys.exit("bgzip failed")
    tmp.rename(out_bam)
    subprocess.run(["samtools", "index", str(out_bam)], check=True)


def build(
    sim_bam: Path, out_bam: Path, pairs: int, rna: bool, seed: int, windows: dict, mean: int,
    sd: int, bgzip_threads: int = 2, level: int = 6,
) -> None:  # fmt: skip
    """Write ``out_bam`` (+ .bai): the simulator's records plus filler, ``pairs`` pairs in all."""
    text, refs, records = read_raw_bam(sim_bam)
    names = {name: i for i, (name, _) in enumerate(refs)}
    win = {names[c]: spans for c, spans in windows.items() if c in names}
    reserved = reserved_regions(records, win)
    sim_pairs = len(records) // 2
    filler_pairs = max(0, pairs - sim_pairs)
    unmapped_pairs = int(filler_pairs * UNMAPPED_FRACTION)
    mapped_pairs = filler_pairs - unmapped_pairs
    rg = b"simulated"
    for line in text.split(b"\n"):
        if line.startswith(b"@RG"):
            rg = dict(f.split(b":", 1) for f in line.split(b"\t")[1:])[b"ID"]
    text += (
        f"@PG\tID:benchmarks.generate\tPN:benchmarks/generate.py\tCL:filler pairs {filler_pairs}"
        f" seed {seed}\n"
    ).encode()
    # Free intervals per reference, and filler pairs per interval proportional to its length.
    free = []
    for ref, (_, length) in enumerate(refs):
        start = 0
        for lo, hi in reserved.get(ref, []):
            free.append((ref, start, min(lo, length)))
            start = hi
        free.append((ref, start, length))
    free = [(r, lo, hi) for r, lo, hi in free if hi > lo]
    lengths = np.array([hi - lo for _, lo, hi in free], dtype=float)
    filler = Filler(seed, rg, rna, mean, sd)
    per_interval = filler.rng.multinomial(mapped_pairs, lengths / lengths.sum())

    tmp = out_bam.with_name(f".{out_bam.name}.tmp")
    with open(tmp, "wb") as handle:
        bgzip = subprocess.Popen(
            ["bgzip", "-@", str(bgzip_threads), "-l", str(level), "-c"], stdin=subprocess.PIPE,
            stdout=handle,
        )  # fmt: skip
        out = bgzip.stdin
        assert out is not None
        out.write(raw_header(text, refs))
        by_ref: dict[int, list[tuple[int, bytes]]] = {}
        for ref, pos, raw in records:
            by_ref.setdefault(ref, []).append((pos, raw))
        for ref in range(len(refs)):
            sim = by_ref.get(ref, [])
            j = 0
            for (r, lo, hi), n in zip(free, per_interval):
                if r != ref:
                    continue
                # The simulator's records before this interval, then the interval's filler.
                while j < len(sim) and sim[j][0] < lo:
                    out.write(sim[j][1])
                    j += 1
                filler.interval(ref, lo, hi, int(n), out)
            for _, raw in sim[j:]:
                out.write(raw)
        for _, raw in by_ref.get(-1, []):
            out.write(raw)
        for done in range(0, unmapped_pairs, BLOCK_FRAGMENTS):
            n = min(BLOCK_FRAGMENTS, unmapped_pairs - done)
            out.write(filler.encode(filler.fragments(np.zeros(n, dtype=np.int64), True), -1))
        out.close()
        if bgzip.wait() != 0:
            sys.exit("bgzip failed")
    tmp.rename(out_bam)
    subprocess.run(["samtools", "index", "-@", str(bgzip_threads), str(out_bam)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sim_bam", type=Path)
    parser.add_argument("out_bam", type=Path)
    parser.add_argument("--pairs", type=int, required=True)
    parser.add_argument("--rna", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--level", type=int, default=6)
    args = parser.parse_args()
    from fusioncheck.config import Thresholds
    from fusioncheck.genes import load
    from fusioncheck.target import load_target

    windows: dict[str, list[tuple[int, int]]] = {}
    for w in load_target().windows(load("GRCh38"), Thresholds().flank):
        windows.setdefault(w.chrom, []).append((w.start - 1, w.end))
    build(args.sim_bam, args.out_bam, args.pairs, args.rna, args.seed, windows, 300, 50,
          level=args.level)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
