"""The evidence BAM: every read of every reported record, and the reads a filter removed.

The scan knows which fragments (read names) support each record and which a filter removed;
a second pass over the same windows picks their alignments out of the input, then follows
each to its mate and supplementary alignments wherever they lie.  Every alignment is tagged
with what it is evidence of (user tags, lowercase as the SAM specification reserves them for
end users; docs/output.md):

* ``fr:Z`` the records it supports, ``<n>:<5' gene>::<3' gene>`` with n the record's place in
  the JSON's ``fusions`` (1 = first); several are comma-separated.
* ``fe:Z`` its evidence for each of those records, in the same order: ``split`` (a read
  across the junction) or ``spanning`` (a mate on each side); ``filtered`` when it supports
  no record.
* ``fm:Z`` its molecule (the key PCR copies share: ``umi:<UMI>`` or ``pos:<outer ends>``).
* ``ff:Z`` / ``fp:Z`` the filter that removed it and the partner pair that filter judged
  (comma-separated, same order), when one did.

Molecules are counted from ``fm`` exactly as the scan counts them, so the BAM and the JSON
agree record by record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pysam

from fusioncheck import __version__
from fusioncheck.bamio import AlignmentInput
from fusioncheck.clustering import Cluster
from fusioncheck.genes import Window
from fusioncheck.model import ScanResult
from fusioncheck.output import atomic_output

TAGS = ("fr", "fe", "fm", "ff", "fp")


@dataclass(frozen=True)
class Support:
    """What the scan knows about the reads behind its result (not part of the JSON)."""

    inp: AlignmentInput
    clusters: list[Cluster]  # one per record of the result's fusions, in that order
    removed: dict[tuple[tuple[str, str], str], str]  # (partner pair, fragment) -> filter
    windows: tuple[Window, ...]  # what the scan read
    flag_mask: int  # SAM flags the read filters removed (secondary, QC-failed)
    unmapped_tail: bool  # the scan also read the wholly unmapped pairs


@dataclass
class Labels:
    """What one fragment is evidence of."""

    records: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    molecule: str | None = None
    filters: list[str] = field(default_factory=list)
    pairs: list[str] = field(default_factory=list)

    def tags(self) -> list[tuple[str, str]]:
        out = [("fe", ",".join(self.evidence) or "filtered")]
        if self.records:
            out.append(("fr", ",".join(self.records)))
        if self.molecule is not None:
            out.append(("fm", self.molecule))
        if self.filters:
            out += [("ff", ",".join(self.filters)), ("fp", ",".join(self.pairs))]
        return out


def record_label(n: int, five: str, three: str) -> str:
    """How ``fr`` names record ``n`` (1-based) of the JSON's ``fusions``."""
    return f"{n}:{five}::{three}"


def fragment_labels(result: ScanResult, support: Support) -> dict[str, Labels]:
    """Fragment name -> what it is evidence of."""
    out: dict[str, Labels] = defaultdict(Labels)
    for n, (f, c) in enumerate(zip(result.fusions, support.clusters, strict=True), 1):
        name = record_label(n, f.five_prime_gene, f.three_prime_gene)
        for kind, fragments in (("split", c.split), ("spanning", c.spanning)):
            for fragment, molecule in fragments.items():
                labels = out[fragment]
                labels.records.append(name)
                labels.evidence.append(kind)
                labels.molecule = molecule
    for (partners, fragment), name in sorted(support.removed.items()):
        labels = out[fragment]
        labels.filters.append(name)
        labels.pairs.append("::".join(partners))
    return dict(out)


def _key(read: pysam.AlignedSegment) -> tuple[object, ...]:
    return (read.query_name, read.flag, read.reference_id, read.reference_start, read.cigarstring)


class _Picker:
    """The alignments of the wanted fragments among what is fetched, each once."""

    def __init__(self, names: set[str], mask: int) -> None:
        self.names = names
        self.mask = mask
        self.found: dict[tuple[object, ...], pysam.AlignedSegment] = {}

    def take(self, reads: Iterable[pysam.AlignedSegment]) -> None:
        for read in reads:
            if read.query_name in self.names and not read.flag & self.mask:
                self.found.setdefault(_key(read), read)


def _elsewhere(
    reads: Iterable[pysam.AlignedSegment], windows: list[tuple[str, int, int]]
) -> Iterator[tuple[str, int]]:
    """(contig, 0-based position) of mates and supplementary alignments outside ``windows``."""
    for read in reads:
        places = []
        if read.is_paired and not read.mate_is_unmapped and read.next_reference_name:
            places.append((read.next_reference_name, read.next_reference_start))
        if read.has_tag("SA"):
            for entry in str(read.get_tag("SA")).rstrip(";").split(";"):
                parts = entry.split(",")
                if len(parts) == 6 and parts[1].isdigit():
                    places.append((parts[0], int(parts[1]) - 1))
        for contig, pos in places:
            if not any(c == contig and lo <= pos < hi for c, lo, hi in windows):
                yield contig, pos


def collect(support: Support, names: set[str]) -> list[pysam.AlignedSegment]:
    """Every alignment of the fragments ``names``, in coordinate order."""
    style = support.inp.style
    windows = [(style.to_bam(w.chrom), w.start - 1, w.end) for w in support.windows]
    picker = _Picker(names, support.flag_mask)
    with support.inp.open() as bam:
        for contig, start, end in windows:
            picker.take(bam.fetch(contig, start, end))
        if support.unmapped_tail:
            picker.take(bam.fetch("*"))
        for contig, pos in sorted(set(_elsewhere(list(picker.found.values()), windows))):
            if contig in bam.references:
                picker.take(bam.fetch(contig, pos, pos + 1))
    unplaced = 1 << 62  # wholly unmapped pairs sort last, as in any sorted BAM
    return sorted(
        picker.found.values(),
        key=lambda r: (r.reference_id if r.reference_id >= 0 else unplaced, r.reference_start),
    )


def _header(bam: pysam.AlignmentFile, result: ScanResult) -> dict:  # type: ignore[type-arg]
    header = bam.header.to_dict()
    header["HD"] = {**header.get("HD", {"VN": "1.6"}), "SO": "coordinate"}
    taken = {pg.get("ID") for pg in header.get("PG", [])}
    pg_id = next(i for i in (f"fusioncheck.evidence.{n}" for n in range(len(taken) + 1))
                 if i not in taken)  # fmt: skip
    header.setdefault("PG", []).append(
        {"ID": pg_id, "PN": "fusioncheck", "VN": __version__, "CL": result.command or "scan"}
    )
    header.setdefault("CO", []).append(
        "fusioncheck evidence BAM: tags fr (records supported), fe (split/spanning/filtered), "
        "fm (molecule), ff/fp (filter, partner pair); see fusioncheck docs/output.md"
    )
    return header


def write_evidence_bam(result: ScanResult, support: Support, path: Path) -> int:
    """Write ``path`` (sorted, with ``path.bai``); return the number of alignments."""
    labels = fragment_labels(result, support)
    reads = collect(support, set(labels))
    with support.inp.open() as bam:
        header = _header(bam, result)
    # The index first, then the BAM: a BAM that is there is complete and indexed.
    with atomic_output(path) as tmp_bam, atomic_output(Path(f"{path}.bai")) as tmp_bai:
        with pysam.AlignmentFile(str(tmp_bam), "wb", header=header) as out:
            for read in reads:
                for tag, value in labels[str(read.query_name)].tags():
                    read.set_tag(tag, value, value_type="Z")
                out.write(read)
        pysam.index("-o", str(tmp_bai), str(tmp_bam))
    return len(reads)
