"""Read the target windows of a checked alignment file, feeding coverage and evidence.

Only the index-selected windows are read (plus, when asked, the unmapped tail), so the cost
does not grow with the size of the BAM.  Reads removed by a read filter (secondary, QC-failed)
are counted under its name and looked at no further.
"""

from __future__ import annotations

import logging
from collections import Counter

from fusioncheck.bamio import AlignmentInput
from fusioncheck.config import Thresholds
from fusioncheck.coverage import Coverage
from fusioncheck.errors import InputError
from fusioncheck.evidence import EvidenceCollector
from fusioncheck.filters import READ_FILTERS, read_flag_mask
from fusioncheck.genes import Window

log = logging.getLogger(__name__)


def read_windows(
    inp: AlignmentInput,
    windows: tuple[Window, ...],
    t: Thresholds,
    threads: int,
    coverage: Coverage,
    collector: EvidenceCollector,
    unmapped_tail: bool,
) -> Counter[str]:
    """Feed every read of ``windows`` to ``coverage`` and ``collector``; return the reads each
    read filter removed."""
    removed: Counter[str] = Counter()
    mask = read_flag_mask(t)
    try:
        with inp.open(threads) as bam:
            if unmapped_tail:
                # Pairs with no mapped mate sit after all mapped reads ("*" in htslib).
                for read in bam.fetch("*"):
                    if not read.flag & mask:
                        collector.add(read)
            for window in windows:
                n = 0
                last = -1
                for read in bam.fetch(inp.style.to_bam(window.chrom), window.start - 1, window.end):
                    n += 1
                    if read.reference_start < last:
                        raise InputError(
                            f"{inp.path}: reads are out of order at {read.reference_name}:"
                            f"{read.reference_start + 1}; the index does not match the file. "
                            f"Re-sort and re-index it (`samtools sort` then `samtools index`)."
                        )
                    last = read.reference_start
                    if read.flag & mask:
                        removed[_flag_filter(read.flag & mask)] += 1
                        continue
                    coverage.add(window.gene, read)
                    collector.add(read)
                log.info("read %d alignments from the %s window", n, window.gene)
    except OSError as exc:
        raise InputError(
            f"{inp.path}: reading failed ({exc}). The file is truncated or corrupt: check it "
            f"with `samtools quickcheck -v {inp.path}` and re-create it."
        ) from exc
    return removed


def _flag_filter(bits: int) -> str:
    return next(f.name for f in READ_FILTERS if f.flag & bits)
