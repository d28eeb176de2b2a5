"""Read the target windows of a checked alignment file, feeding coverage and evidence.

Only the index-selected windows are read (plus, when asked, the unmapped tail), so the cost
does not grow with the size of the BAM.  Reads removed by a read filter (secondary, QC-failed)
are counted under its name and looked at no further.

At panel depth nearly every read sits in a window and nearly none is evidence, so the loop over
a chunk's reads is compiled (:func:`fusioncheck.readloop.read_chunk`): it counts coverage itself
and hands to Python only the reads that can be evidence.  This module cuts the windows into
chunks and hands them out.  With ``threads`` above 1, worker processes read the chunks (one
process decodes and loops over one chunk at a time; htslib's decompression threads would not
share the loop); each returns its coverage tally and the few reads that can be evidence, which
this process merges and feeds to the evidence collector in genomic order, as one thread would.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pysam

from fusioncheck.bamio import AlignmentInput
from fusioncheck.config import Thresholds
from fusioncheck.coverage import Coverage, Tally
from fusioncheck.errors import InputError
from fusioncheck.evidence import EvidenceCollector
from fusioncheck.filters import read_flag_mask
from fusioncheck.genes import Window
from fusioncheck.readloop import read_chunk

_CHUNKS_PER_THREAD = 4  # per window at most: small chunks even out dense and sparse stretches
#: Parallel chunks start at multiples of the index's linear resolution (16 kb for BAI and for
#: CSI's default): a fetch from elsewhere first decodes every read from the 16 kb boundary
#: before it, which at panel depth is more work than the chunk itself.
_INDEX_GRAIN = 1 << 14


@dataclass(frozen=True)
class Chunk:
    """The reads of ``window`` that start in [start, end) (0-based), the window's first chunk
    also those that start before it and reach into it."""

    window: Window
    start: int
    end: int
    first: bool
    last: bool


def chunks(windows: tuple[Window, ...], per_window: int, grain: int = 1) -> list[Chunk]:
    """Each window cut into at most ``per_window`` chunks of about equal length, the cuts at
    multiples of ``grain`` (0-based), in genomic order."""
    out: list[Chunk] = []
    for w in windows:
        lo, hi = w.start - 1, w.end
        ideal = (lo + (hi - lo) * i // per_window for i in range(1, per_window))
        inner = sorted({round(c / grain) * grain for c in ideal} - {lo, hi})
        cuts = [lo, *(c for c in inner if lo < c < hi), hi]
        out.extend(Chunk(w, a, b, a == lo, b == hi) for a, b in zip(cuts, cuts[1:]))
    return out


def read_windows(
    inp: AlignmentInput,
    windows: tuple[Window, ...],
    t: Thresholds,
    threads: int,
    coverage: Coverage,
    collector: EvidenceCollector,
    unmapped_tail: bool,
) -> Counter[str]:
    """Feed every read of ``windows`` to ``coverage`` and ``collector``, using ``threads``
    worker processes if above 1; return the reads each read filter removed."""
    removed: Counter[str] = Counter()
    try:
        with inp.open() as bam:
            if unmapped_tail:
                mask = read_flag_mask(t)
                # Pairs with no mapped mate sit after all mapped reads ("*" in htslib).
                for read in bam.fetch("*"):
                    if not read.flag & mask:
                        collector.add(read)
            # Secondary records repeat a read's name anywhere: one chunk per window then.
            if threads > 1 and "secondary" not in t.disabled_filters:
                _read_parallel(inp, windows, t, threads, coverage, collector, bam, removed)
            else:
                for chunk in chunks(windows, 1):
                    read_chunk(bam, inp, chunk, t, coverage, collector.add, removed)
    except OSError as exc:
        raise InputError(
            f"{inp.path}: reading failed ({exc}). The file is truncated or corrupt: check it "
            f"with `samtools quickcheck -v {inp.path}` and re-create it."
        ) from exc
    return removed


# -- worker processes ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Job:
    inp: AlignmentInput
    chunk: Chunk
    t: Thresholds
    coverage: Coverage  # an empty one, as the scan set it up (pickled to the worker)


@dataclass(frozen=True)
class _Done:
    tally: Tally
    evidence: list[str]  # SAM lines of the reads that can be evidence, in order
    removed: Counter[str]
    molecules: tuple[int, int]  # MoleculeKeys counts: reads asked, reads with a UMI


def _read_parallel(
    inp: AlignmentInput,
    windows: tuple[Window, ...],
    t: Thresholds,
    threads: int,
    coverage: Coverage,
    collector: EvidenceCollector,
    bam: pysam.AlignmentFile,
    removed: Counter[str],
) -> None:
    empty = coverage.empty()
    cut = chunks(windows, threads * _CHUNKS_PER_THREAD, _INDEX_GRAIN)
    jobs = [_Job(inp, c, t, empty) for c in cut]
    order = largest_first(bam, inp, cut)
    import multiprocessing  # here: one thread, the default, never pays for importing it

    # fork: a worker starts with the modules loaded, not in a fresh interpreter.
    context = multiprocessing.get_context("fork")
    with context.Pool(threads) as pool:
        results = dict(zip(order, pool.imap(_work, [jobs[i] for i in order])))
    for i in range(len(jobs)):  # merged in genomic order, as one thread reads them
        done = results[i]
        coverage.tally.merge(done.tally)
        coverage.molecules.asked += done.molecules[0]
        coverage.molecules.with_umi += done.molecules[1]
        removed.update(done.removed)
        for line in done.evidence:
            collector.add(pysam.AlignedSegment.fromstring(line, bam.header))


def largest_first(bam: pysam.AlignmentFile, inp: AlignmentInput, cut: list[Chunk]) -> list[int]:
    """The chunks' indices in the order to hand them to the workers: largest first, so that
    no worker is left alone with a big chunk at the end.  A chunk's size is the compressed
    bytes from its first read to the next chunk's (BGZF virtual offsets, which the index
    gives without reading the chunk); a CRAM or remote file keeps genomic order."""
    if inp.format != "BAM" or inp.is_remote:
        return list(range(len(cut)))
    starts = []
    for c in cut:
        reads = bam.fetch(inp.style.to_bam(c.window.chrom), c.start, c.end)
        starts.append(bam.tell() >> 16 if next(reads, None) is not None else None)
    end = Path(inp.path).stat().st_size
    sizes = [0] * len(cut)
    for i in reversed(range(len(cut))):
        start = starts[i]
        if start is not None:
            sizes[i], end = max(0, end - start), start
    return sorted(range(len(cut)), key=lambda i: -sizes[i])


def _work(job: _Job) -> _Done:
    """In a worker process: read one chunk."""
    coverage = job.coverage
    keys = coverage.molecules
    evidence: list[str] = []
    removed: Counter[str] = Counter()
    with job.inp.open() as bam:
        read_chunk(
            bam, job.inp, job.chunk, job.t, coverage, lambda r: evidence.append(r.to_string()),
            removed,
        )  # fmt: skip
    return _Done(coverage.tally, evidence, removed, (keys.asked, keys.with_umi))
