"""Open and check an alignment file before anything is counted.

Every problem that would make a scan silently wrong (no index, not sorted, CRAM without its
reference, a header that is not the build the user thinks) is an :class:`InputError` with a
message that names the file and the fix.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from operator import ne
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import pysam

from fusioncheck import remote
from fusioncheck.config import Thresholds
from fusioncheck.errors import InputError, UsageError
from fusioncheck.genes import BUILDS, CONTIG_LENGTHS, ContigStyle, Window
from fusioncheck.target import DEFAULT_TARGET, load_target

log = logging.getLogger(__name__)

TARGET_CONTIGS = ("chr17", "chrX")

#: Above this fraction of mismatched bases in fully aligned reads, the FASTA is not the
#: sequence the reads were aligned to.  A right FASTA gives sequencing errors, SNPs and FFPE
#: deamination: well under 5 %, and aligners seldom keep an end-to-end read past ~10 mismatches
#: per 100 bp (they clip or drop it).  Other sequence gives ~75 % (unrelated) to 100 %
#: (complemented), so 10 % sits far from both.
MAX_READ_MISMATCH_RATE = 0.10
#: The sample of reads compared with the FASTA: the first this many fully aligned reads of
#: each target window, among at most READS_EXAMINED of its reads.  One fetch per window: at
#: panel depth each fetch costs a seek through up to 16 kb of reads (the index's resolution),
#: so slices spread over the window would cost seconds.
READS_COMPARED = 512
READS_EXAMINED = 50_000
#: Fewer compared bases than this decide nothing (too few reads to tell errors from a mismatch).
MIN_COMPARED_BASES = 2000
#: CIGAR operations that align bases one to one (M, =, X): a CIGAR of these alone is one
#: aligned block, with no clip, indel or splice.
ALIGNED_OPS = frozenset((0, 7, 8))


@dataclass(frozen=True)
class AlignmentInput:
    """A checked alignment file: what it is and how to read it.  ``path`` is a ``Path`` for a
    local file and the URL as given (a string) for a remote one, whose ``index`` is the local
    copy :func:`fusioncheck.remote.fetch_index` made."""

    path: Path | str
    format: str  # "BAM" or "CRAM"
    build: str
    style: ContigStyle
    reference: Path | None
    index: str | None = None

    def open(self, threads: int = 1) -> pysam.AlignmentFile:
        return pysam.AlignmentFile(
            str(self.path),
            "rc" if self.format == "CRAM" else "rb",
            reference_filename=str(self.reference) if self.reference else None,
            index_filename=self.index,
            threads=threads,
        )

    @property
    def is_remote(self) -> bool:
        return isinstance(self.path, str)

    def size_bytes(self) -> int:
        if isinstance(self.path, str):
            return remote.size_bytes(self.path)
        return self.path.stat().st_size

    def fingerprint(self, full: bool) -> dict[str, str]:
        """SHA-256 of the whole file, or (default) of its size, first and last MiB: it
        identifies the file at a cost that does not grow with its size.  A remote file gets
        the same digest from ranged reads."""
        if isinstance(self.path, str):
            return remote.fingerprint(self.path, full)
        digest = hashlib.sha256()
        if full:
            with open(self.path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(chunk)
            return {"algorithm": "sha256", "value": digest.hexdigest()}
        size = self.size_bytes()
        digest.update(str(size).encode())
        with open(self.path, "rb") as handle:
            digest.update(handle.read(1 << 20))
            handle.seek(max(0, size - (1 << 20)))
            digest.update(handle.read(1 << 20))
        return {"algorithm": "sha256-fingerprint", "value": digest.hexdigest()}


def _open_header(
    path: Path | str, reference: Path | None, index: str | None = None
) -> pysam.AlignmentFile:
    if isinstance(path, Path) and not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        return pysam.AlignmentFile(
            str(path),
            "r",
            reference_filename=str(reference) if reference else None,
            index_filename=index,
        )
    except OSError as exc:
        if isinstance(path, str):
            raise remote._explain(path, exc) from None
        raise _unreadable(path, exc) from exc
    except ValueError as exc:
        raise _unreadable(path, exc) from exc


def _unreadable(path: Path | str, exc: Exception) -> InputError:
    return InputError(
        f"{path}: not a readable BAM or CRAM file ({exc}). Check that the file is complete "
        "(`samtools quickcheck -v` names broken files) and re-copy or re-create it."
    )


@contextmanager
def _opened(
    path: Path | str, reference: Path | None, index: str | None = None
) -> Iterator[pysam.AlignmentFile]:
    """The file open for the checks.  After a failed read htslib also fails to close the file;
    that second error would hide the first (the one that names the fix), so it is dropped."""
    bam = _open_header(path, reference, index)
    try:
        yield bam
    finally:
        try:
            bam.close()
        except OSError:
            pass


def detect_style(contigs: dict[str, int], path: Path | str) -> ContigStyle:
    if "chr17" in contigs and "chrX" in contigs:
        return ContigStyle("chr")
    if "17" in contigs and "X" in contigs:
        return ContigStyle("plain")
    raise InputError(
        f"{path}: the header has no chromosome 17 and X (looked for chr17/chrX and 17/X). "
        "fusioncheck needs a BAM aligned to the whole human genome (GRCh38 or GRCh37)."
    )


def detect_build(
    contigs: dict[str, int], style: ContigStyle, requested: str, path: Path | str
) -> str:
    """Build from the header's chr17 and chrX lengths; ``requested`` (``auto`` or a build)
    overrides only when the header cannot tell, and is an error when it contradicts it."""
    observed = {c: contigs[style.to_bam(c)] for c in TARGET_CONTIGS}
    matching = [
        build
        for build in BUILDS
        if all(CONTIG_LENGTHS[build][c] == observed[c] for c in TARGET_CONTIGS)
    ]
    if requested == "auto":
        if matching:
            return matching[0]
        raise InputError(
            f"{path}: chr17 length {observed['chr17']:,} and chrX length {observed['chrX']:,} "
            "match neither GRCh38 nor GRCh37. If the reference is one of these builds with "
            "altered contigs, pass --build GRCh38 or --build GRCh37."
        )
    if requested not in BUILDS:
        raise UsageError(f"--build {requested!r}: use auto, {' or '.join(BUILDS)}")
    if matching and requested not in matching:
        raise UsageError(
            f"{path}: --build {requested} contradicts the header, whose chr17/chrX lengths are "
            f"those of {matching[0]}. Drop --build (auto-detection) or pass the right BAM."
        )
    for chrom in TARGET_CONTIGS:
        _check_contig_fits(style.to_bam(chrom), chrom, observed[chrom], requested, path)
    return requested


def _check_contig_fits(name: str, chrom: str, length: int, build: str, path: Path | str) -> None:
    """A build forced on a header it does not match: each target contig must not be another
    build's (a mixed header is no build at all) and must hold the gene windows, or breakpoints
    would land beyond the contig's end."""
    if length == CONTIG_LENGTHS[build][chrom]:
        return
    for other in BUILDS:
        if other != build and CONTIG_LENGTHS[other][chrom] == length:
            raise UsageError(
                f"{path}: --build {build}, but the header's {name} is {length:,} bp, the length "
                f"of {other}'s {chrom}. The header mixes builds or --build is wrong: drop "
                "--build, or realign the reads to one build."
            )
    needed = max(w.end for w in target_windows(build, DEFAULT_TARGET) if w.chrom == chrom)
    if length < needed:
        raise UsageError(
            f"{path}: --build {build}, but the header's {name} is {length:,} bp, too short for "
            f"the {build} gene windows (which end at {needed:,}). Drop --build or pass the BAM "
            f"aligned to {build}."
        )


def _check_sorted_and_indexed(bam: pysam.AlignmentFile, path: Path, fmt: str) -> None:
    sort_order = bam.header.to_dict().get("HD", {}).get("SO")
    if sort_order not in (None, "coordinate"):
        raise InputError(
            f"{path}: the {fmt} is sorted by {sort_order}, not by coordinate. "
            f"Run `samtools sort -o sorted.{fmt.lower()} {path}` and `samtools index sorted."
            f"{fmt.lower()}`, then scan the sorted file."
        )
    try:
        bam.check_index()
    except (ValueError, AttributeError):
        ext = "crai" if fmt == "CRAM" else "bai"
        raise InputError(
            f"{path}: the {fmt} has no index (.{ext}), so the target windows cannot be read "
            f"directly. Run `samtools index {path}`."
        ) from None
    # An index can only be built on sorted input, so an indexed file without @HD SO is taken
    # as sorted.


def index_candidates(bam: Path) -> list[Path]:
    """Where samtools and pysam look for the index of ``bam``."""
    if bam.suffix.lower() == ".cram":
        return [Path(f"{bam}.crai"), bam.with_suffix(".crai")]
    return [Path(f"{bam}.bai"), bam.with_suffix(".bai"), Path(f"{bam}.csi")]


def _stale_index(path: Path, found: str) -> InputError:
    return InputError(
        f"{path}: the index does not match the file ({found}): it is stale (made for an "
        f"earlier version of the file) or belongs to another file. Re-index: samtools index "
        f"{path}. If the error persists, the file itself is truncated or corrupt: check it with "
        f"`samtools quickcheck -v {path}` and re-create it."
    )


def check_index_matches(
    bam: pysam.AlignmentFile, path: Path, style: ContigStyle, windows: list[Window]
) -> None:
    """The index must describe this file, or fetching the windows reads the wrong records (or
    none: an INDETERMINATE "no reads" on a BAM full of reads).  Cheap: the index's own counts,
    the first record of the file, and the first few records of each window."""
    try:
        if not bam.is_cram:  # a .crai carries no counts: pysam reports 0 for every contig
            _check_index_counts(bam, style)
        for window in windows:
            _check_window_records(bam, style.to_bam(window.chrom), window)
    except _Mismatch as exc:
        raise _stale_index(path, str(exc)) from None
    except (OSError, ValueError) as exc:
        raise _stale_index(path, f"reading through it failed: {exc}") from exc
    # A remote file's index was just fetched (fusioncheck.remote): no dates to compare.
    local = isinstance(path, Path)
    index = next((p for p in index_candidates(path) if p.is_file()), None) if local else None
    if index is not None and index.stat().st_mtime < path.stat().st_mtime:
        # Only a warning: `cp -r` copies in directory order, so a good index is often older
        # than its file; the content checks above found no mismatch.
        log.warning(
            "%s is older than %s. If the file changed since it was indexed, re-index: "
            "samtools index %s",
            index,
            path,
            path,
        )


class _Mismatch(Exception):
    """The index and the file disagree (internal: becomes an InputError naming the file)."""


def _check_index_counts(bam: pysam.AlignmentFile, style: ContigStyle) -> None:
    """The file's first record and the target contigs must be found where the index says.
    An index may carry no counts at all (some tools skip them), so a count of 0 is only
    trusted when fetching agrees: an index made from a header-only file finds nothing."""
    counts = {s.contig: s.total for s in bam.get_index_statistics()}
    first = next(bam.fetch(until_eof=True), None)
    if first is not None and first.reference_id >= 0:
        name = first.reference_name or ""
        if not counts.get(name) and next(bam.fetch(name), None) is None:
            raise _Mismatch(f"the file's first record is on {name}, where the index finds no reads")
    for chrom in TARGET_CONTIGS:
        name = style.to_bam(chrom)
        if counts.get(name) and next(bam.fetch(name), None) is None:
            raise _Mismatch(f"the index counts {counts[name]:,} reads on {name}; none can be read")


def _check_window_records(bam: pysam.AlignmentFile, name: str, window: Window, n: int = 20) -> None:
    for i, read in enumerate(bam.fetch(name, window.start - 1, window.end)):
        if i == n:
            return
        end = read.reference_end or read.reference_start + 1
        if read.reference_name != name or end < window.start or read.reference_start >= window.end:
            raise _Mismatch(
                f"asked for {name}:{window.start:,}-{window.end:,}, got a read at "
                f"{read.reference_name}:{read.reference_start + 1:,}"
            )


def open_fasta(reference: Path) -> pysam.FastaFile:
    """The genome FASTA, opened, or an :class:`InputError` saying how to make it usable."""
    if not reference.exists():
        raise InputError(f"{reference}: reference FASTA not found")
    try:
        return pysam.FastaFile(str(reference))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{reference}: cannot open the reference FASTA ({exc}). It must be plain or "
            f"bgzip-compressed and indexed: run `samtools faidx {reference}`."
        ) from exc


def check_reference(
    reference: Path,
    contigs: dict[str, int],
    style: ContigStyle,
    path: Path,
    checksums: dict[str, str] | None = None,
) -> None:
    """The FASTA must hold the target chromosomes under the BAM's names and lengths, and
    (``checksums``: the header's ``@SQ M5`` by contig name) with the same sequence."""
    with open_fasta(reference) as fasta:
        lengths = dict(zip(fasta.references, fasta.lengths))
        for chrom in TARGET_CONTIGS:
            name = style.to_bam(chrom)
            if lengths.get(name) != contigs[name]:
                found = lengths.get(name)
                raise InputError(
                    f"{reference}: contig {name} is "
                    + ("missing" if found is None else f"{found:,} bp long")
                    + f" but {path} has {name} of {contigs[name]:,} bp in its header. Pass the "
                    "FASTA the reads were aligned to."
                )
            expected = (checksums or {}).get(name)
            if expected and (md5 := _file_sequence_md5(reference, name)) != expected.lower():
                raise _wrong_sequence(reference, path, f"{name} MD5 {md5}, header M5 {expected}")


def header_checksums(bam: pysam.AlignmentFile, style: ContigStyle) -> dict[str, str]:
    """The ``@SQ M5`` of chr17 and chrX, by contig name, where the header has them (CRAM
    always does; BAMs when the aligner or `samtools dict` put them there)."""
    names = {style.to_bam(c) for c in TARGET_CONTIGS}
    return {
        line["SN"]: str(line["M5"])
        for line in bam.header.to_dict().get("SQ", [])
        if line.get("SN") in names and line.get("M5")
    }


def sequence_md5(fasta: pysam.FastaFile, name: str, chunk: int = 1 << 22) -> str:
    """The SAM ``@SQ M5`` of a FASTA contig (SAM spec 1.3.2: bases outside ASCII 33-126
    dropped, upper-cased, MD5 as 32 lower-case hex digits).  faidx returns the bases without
    line ends, so upper-casing is all that is left; read in 4 MiB pieces to keep memory flat.
    Cost (measured, one core): 0.4 s per 83 Mbp chr17 from a plain FASTA, 0.8 s from bgzip:
    about 1.2-2.2 s for chr17 + chrX (1.9 s measured for a whole CRAM check on the simulated
    genome), paid only when the header carries M5, and once per process (`_cached_md5`)."""
    digest = hashlib.md5(usedforsecurity=False)
    for start in range(0, fasta.get_reference_length(name), chunk):
        digest.update(fasta.fetch(name, start, start + chunk).upper().encode("ascii"))
    return digest.hexdigest()


def _file_sequence_md5(reference: Path, name: str) -> str:
    stat = reference.stat()
    return _cached_md5(str(reference.resolve()), stat.st_size, stat.st_mtime_ns, name)


@lru_cache(maxsize=16)
def _cached_md5(path: str, size: int, mtime_ns: int, name: str) -> str:
    """Once per FASTA contig and process (keyed by size and time, so an edited file is read
    again): a process scanning many samples against one genome pays the ~2 s once."""
    with pysam.FastaFile(path) as fasta:
        return sequence_md5(fasta, name)


def _wrong_sequence(reference: Path, path: Path, found: str) -> InputError:
    return InputError(
        f"{reference}: not the sequence {path} was aligned to ({found}), though its contig "
        "names and lengths match (another assembly patch, a masked or edited genome, or the "
        "wrong file). Searching it would miss the fusion: pass the FASTA the reads were "
        "aligned to."
    )


def check_reads_match_reference(
    bam: pysam.AlignmentFile,
    reference: Path,
    style: ContigStyle,
    windows: list[Window],
    path: Path,
) -> None:
    """Without ``@SQ M5`` to compare: the reads in the windows must agree with the FASTA,
    which names and lengths alone do not show (a wrong FASTA there means no soft clip can be
    matched to the partner, and a fusion reads as absent)."""
    compared = mismatched = 0
    with pysam.FastaFile(str(reference)) as fasta:
        for window in windows:
            n, m = _compare_window(bam, fasta, style.to_bam(window.chrom), window)
            compared, mismatched = compared + n, mismatched + m
    if compared >= MIN_COMPARED_BASES and mismatched > MAX_READ_MISMATCH_RATE * compared:
        raise _wrong_sequence(
            reference,
            path,
            f"{mismatched / compared:.0%} of {compared:,} bases of fully aligned reads in the "
            f"windows differ from it; a right FASTA gives under {MAX_READ_MISMATCH_RATE:.0%}",
        )


def _compare_window(
    bam: pysam.AlignmentFile, fasta: pysam.FastaFile, name: str, window: Window
) -> tuple[int, int]:
    """(bases compared, mismatched) over a bounded sample of primary reads aligned end to end
    (no clip, indel or splice: their bases pair with the reference one to one, and a splice
    site placed a few bases off would add mismatches that do not come from the FASTA)."""
    genome = fasta.fetch(name, window.start - 1, window.end).upper()
    compared = mismatched = taken = 0
    for examined, read in enumerate(bam.fetch(name, window.start - 1, window.end)):
        if taken == READS_COMPARED or examined == READS_EXAMINED:
            break
        if (
            read.reference_start < window.start - 1
            or read.flag & 0xF04  # unmapped, secondary, QC fail, duplicate, supplementary
            or read.query_sequence is None
            or read.reference_end is None
            or read.reference_end > window.end
            or any(op not in ALIGNED_OPS for op, _ in read.cigartuples or ())
        ):
            continue
        query = read.query_sequence.upper()
        ref = genome[
            read.reference_start - window.start + 1 : read.reference_end - window.start + 1
        ]
        mismatched += sum(map(ne, query, ref))
        if "N" in query:  # an N in the read says nothing about the reference
            mismatched -= sum(a == "N" != b for a, b in zip(query, ref))
        compared += len(query) - query.count("N")
        taken += 1
    return compared, mismatched


def target_windows(build: str, target: str = DEFAULT_TARGET) -> list[Window]:
    """The windows a scan reads (default flank), where the checks sample the file."""
    spec = load_target(target)
    return spec.windows(spec.models(build), Thresholds().flank)


def inspect_alignment(
    path: str | Path,
    reference: str | Path | None = None,
    build: str = "auto",
    target: str = DEFAULT_TARGET,
) -> AlignmentInput:
    """Check ``path`` (BAM or CRAM, a file or an ``https://``/``s3://`` URL) and return how to
    read it, or raise :class:`InputError`."""
    location: Path | str = str(path) if remote.is_remote(path) else Path(path)
    # The checks below only put the location into messages, and skip file dates for a URL.
    where = cast(Path, location)
    ref = Path(reference) if reference else None
    index = _remote_index(location) if isinstance(location, str) else None
    with _opened(location, ref, index) as bam:
        fmt = "CRAM" if bam.is_cram else "BAM"
        if not (bam.is_bam or bam.is_cram):
            raise InputError(
                f"{location}: this is SAM text; convert it with `samtools sort -o x.bam`"
            )
        if fmt == "CRAM" and ref is None:
            raise InputError(
                f"{location}: a CRAM can only be decoded with the genome FASTA it was written "
                "against: pass it with --reference GENOME.fa"
            )
        contigs = dict(zip(bam.references, bam.lengths))
        style = detect_style(contigs, location)
        detected = detect_build(contigs, style, build, location)
        _check_sorted_and_indexed(bam, where, fmt)
        windows = target_windows(detected, target)
        checksums = header_checksums(bam, style)
        if ref is not None:
            # Before any record is read: a CRAM decoded against the wrong FASTA fails obscurely.
            check_reference(ref, contigs, style, where, checksums)
        check_index_matches(bam, where, style, windows)
        if ref is not None and len(checksums) < len(TARGET_CONTIGS):
            check_reads_match_reference(bam, ref, style, windows, where)
    return AlignmentInput(
        path=location,
        format=fmt,
        build=detected,
        style=style,
        reference=ref,
        index=index,
    )


def _remote_index(url: str) -> str:
    """Check the remote file can be read in place (404, 403, Range named here), then copy its
    index."""
    remote.check_readable(url)
    fmt = "CRAM" if urlsplit(url).path.lower().endswith(".cram") else "BAM"
    return remote.fetch_index(url, fmt)
