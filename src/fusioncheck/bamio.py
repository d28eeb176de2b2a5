"""Open and check an alignment file before anything is counted.

Every problem that would make a scan silently wrong (no index, not sorted, CRAM without its
reference, a header that is not the build the user thinks) is an :class:`InputError` with a
message that names the file and the fix.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pysam

from fusioncheck.errors import InputError, UsageError
from fusioncheck.genes import BUILDS, CONTIG_LENGTHS, ContigStyle

TARGET_CONTIGS = ("chr17", "chrX")


@dataclass(frozen=True)
class AlignmentInput:
    """A checked alignment file: what it is and how to read it."""

    path: Path
    format: str  # "BAM" or "CRAM"
    build: str
    style: ContigStyle
    reference: Path | None

    def open(self, threads: int = 1) -> pysam.AlignmentFile:
        return pysam.AlignmentFile(
            str(self.path),
            "rc" if self.format == "CRAM" else "rb",
            reference_filename=str(self.reference) if self.reference else None,
            threads=threads,
        )

    def size_bytes(self) -> int:
        return self.path.stat().st_size

    def fingerprint(self, full: bool) -> dict[str, str]:
        """SHA-256 of the whole file, or (default) of its size, first and last MiB: it
        identifies the file at a cost that does not grow with its size."""
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


def _open_header(path: Path, reference: Path | None) -> pysam.AlignmentFile:
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        return pysam.AlignmentFile(
            str(path), "r", reference_filename=str(reference) if reference else None
        )
    except (ValueError, OSError) as exc:
        raise InputError(
            f"{path}: not a readable BAM or CRAM file ({exc}). Check that the file is complete "
            "(`samtools quickcheck -v` names broken files) and re-copy or re-create it."
        ) from exc


def detect_style(contigs: dict[str, int], path: Path) -> ContigStyle:
    if "chr17" in contigs and "chrX" in contigs:
        return ContigStyle("chr")
    if "17" in contigs and "X" in contigs:
        return ContigStyle("plain")
    raise InputError(
        f"{path}: the header has no chromosome 17 and X (looked for chr17/chrX and 17/X). "
        "fusioncheck needs a BAM aligned to the whole human genome (GRCh38 or GRCh37)."
    )


def detect_build(contigs: dict[str, int], style: ContigStyle, requested: str, path: Path) -> str:
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
    return requested


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


def check_reference(
    reference: Path, contigs: dict[str, int], style: ContigStyle, path: Path
) -> None:
    """The FASTA must hold the target chromosomes under the BAM's names and lengths."""
    if not reference.exists():
        raise InputError(f"{reference}: reference FASTA not found")
    try:
        fasta = pysam.FastaFile(str(reference))
    except (OSError, ValueError) as exc:
        raise InputError(
            f"{reference}: cannot open the reference FASTA ({exc}). It must be plain or "
            f"bgzip-compressed and indexed: run `samtools faidx {reference}`."
        ) from exc
    with fasta:
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


def inspect_alignment(
    path: str | Path, reference: str | Path | None = None, build: str = "auto"
) -> AlignmentInput:
    """Check ``path`` (BAM or CRAM) and return how to read it, or raise :class:`InputError`."""
    path = Path(path)
    ref = Path(reference) if reference else None
    with _open_header(path, ref) as bam:
        fmt = "CRAM" if bam.is_cram else "BAM"
        if not (bam.is_bam or bam.is_cram):
            raise InputError(f"{path}: this is SAM text; convert it with `samtools sort -o x.bam`")
        if fmt == "CRAM" and ref is None:
            raise InputError(
                f"{path}: a CRAM can only be decoded with the genome FASTA it was written "
                "against: pass it with --reference GENOME.fa"
            )
        contigs = dict(zip(bam.references, bam.lengths))
        style = detect_style(contigs, path)
        detected = detect_build(contigs, style, build, path)
        _check_sorted_and_indexed(bam, path, fmt)
    if ref is not None:
        check_reference(ref, contigs, style, path)
    return AlignmentInput(
        path=path,
        format=fmt,
        build=detected,
        style=style,
        reference=ref,
    )
