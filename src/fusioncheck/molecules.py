"""Which molecule a read came from, so PCR copies count once.

Amplicon and anchored-PCR libraries carry each molecule many times, usually without duplicate
flags.  A molecule is identified by its UMI where the library has one: the SAM ``RX`` tag (raw
UMI), fgbio's ``MI`` tag (molecule ID after grouping), or a UMI appended to the read name by
umi_tools-style extractors (``NAME_ACGTACGT``).  Without UMIs, a molecule is its outer ends
(chromosome, position and strand of both reads, as Picard and Arriba collapse duplicates).
UMIs that differ by a sequencing error are merged when support is counted (:func:`count`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Literal

import pysam

UmiMode = Literal["auto", "RX", "MI", "name", "none"]
UMI_MODES: tuple[UmiMode, ...] = ("auto", "RX", "MI", "name", "none")
_PAIRED, _MATE_UNMAPPED, _REVERSE, _MATE_REVERSE = 0x1, 0x8, 0x10, 0x20
_SUPPLEMENTARY = 0x800
_UMI = re.compile(r"[ACGTN]+(?:[-+][ACGTN]+)*")


class MoleculeKeys:
    """Molecule key of a read: ``umi:<UMI>`` or ``pos:<outer ends>``."""

    def __init__(self, mode: UmiMode = "auto", separator: str = "_") -> None:
        self.mode = mode
        self.separator = separator
        self.with_umi = 0  # reads whose UMI was found
        self.asked = 0  # reads looked at

    def key(self, read: pysam.AlignedSegment) -> str:
        self.asked += 1
        umi = self._umi(read)
        if umi:
            self.with_umi += 1
            return "umi:" + umi
        return "pos:" + _outer_ends(read)

    def _umi(self, read: pysam.AlignedSegment) -> str | None:
        mode = self.mode
        if mode in ("RX", "auto") and read.has_tag("RX"):
            return str(read.get_tag("RX"))
        if mode in ("MI", "auto") and read.has_tag("MI"):
            # fgbio duplex IDs end in /A or /B: both strands are one molecule.
            return str(read.get_tag("MI")).split("/")[0]
        if mode == "name":
            name = str(read.query_name)
            if self.separator in name:
                umi = name.rsplit(self.separator, 1)[1]
                # Only bases (a duplex pair joined by - or +) are a UMI: the tail of a name
                # like "run_0001" is not, and counting it would make every read a molecule.
                return umi if _UMI.fullmatch(umi) else None
        return None

    @property
    def identity(self) -> str:
        """How molecules were told apart, for the QC block."""
        if self.with_umi:
            return {"auto": "UMI (RX or MI tag)", "name": "UMI (read name)"}.get(
                self.mode, f"UMI ({self.mode} tag)"
            )
        return "outer read ends (no UMI)"


def _outer_ends(read: pysam.AlignedSegment) -> str:
    """Both reads' leftmost positions and strands, in a mate-independent order
    (``ref:pos:reverse``, e.g. ``1:100:False|1:300:True``).  A supplementary record stands for
    its read's primary (the first SA entry, by the SAM convention), so both parts of a split
    read give the same key.  Built from the flag and four integers: this runs for every read
    at a junction edge."""
    if read.reference_id < 0:
        # A wholly unmapped pair has no ends to compare: its copies share their sequence.
        return "seq:" + str(read.query_sequence)
    flag = read.flag
    own = _primary_position(read) if flag & _SUPPLEMENTARY else None
    if own is None:
        own = (read.reference_id, read.reference_start, bool(flag & _REVERSE))
    if not flag & _PAIRED or flag & _MATE_UNMAPPED:
        return f"{own[0]}:{own[1]}:{own[2]}"
    mate = (read.next_reference_id, read.next_reference_start, bool(flag & _MATE_REVERSE))
    a, b = (own, mate) if own <= mate else (mate, own)
    return f"{a[0]}:{a[1]}:{a[2]}|{b[0]}:{b[1]}:{b[2]}"


def _primary_position(read: pysam.AlignedSegment) -> tuple[int, int, bool] | None:
    if not read.has_tag("SA"):
        return None
    fields = str(read.get_tag("SA")).split(";", 1)[0].split(",")
    if len(fields) < 3 or not fields[1].isdigit():
        return None  # malformed: the evidence reader reports it
    tid = read.header.get_tid(fields[0])
    return (tid, int(fields[1]) - 1, fields[2] == "-") if tid >= 0 else None


def _neighbours(umi: str) -> Iterator[str]:
    """Every sequence one substitution away from ``umi``."""
    for i, base in enumerate(umi):
        for other in "ACGTN":
            if other != base:
                yield umi[:i] + other + umi[i + 1 :]


def count(keys: Iterable[str], max_mismatches: int) -> int:
    """Distinct molecules among ``keys`` (one per fragment).  With ``max_mismatches`` 1, a UMI
    one substitution from a more frequent one is its sequencing error (umi_tools' directional
    idea, applied greedily from the most frequent UMI); 0 counts exact UMIs."""
    counts = Counter(keys)
    if max_mismatches == 0:
        return len(counts)
    kept: set[str] = set()
    for key, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if key.startswith("umi:") and any(n in kept for n in _neighbours(key)):
            continue
        kept.add(key)
    return len(kept)
