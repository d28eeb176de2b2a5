"""Types of the compiled read loop (readloop.pyx), for mypy."""

from collections import Counter
from collections.abc import Callable

import pysam

from fusioncheck.bamio import AlignmentInput
from fusioncheck.config import Thresholds
from fusioncheck.coverage import Coverage
from fusioncheck.reads import Chunk

BATCH: int

def read_chunk(
    bam: pysam.AlignmentFile,
    inp: AlignmentInput,
    chunk: Chunk,
    t: Thresholds,
    coverage: Coverage,
    evidence: Callable[[pysam.AlignedSegment], None],
    removed: Counter[str],
) -> None: ...

class ChunkCounter:
    def __init__(self, coverage: Coverage, gene: str, tid: int, chunk_start: int) -> None: ...
    def close(self, end: int | None) -> None: ...
