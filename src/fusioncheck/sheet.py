"""Read and check a sample sheet: one row per sample, every problem reported at once.

The sheet is tab-separated with a header line.  Columns:

``sample``     (required) the sample ID; it becomes part of file names, so it must start with a
               letter or digit and hold only letters, digits, ``.``, ``_`` and ``-``.
``bam``        (required) BAM or CRAM path, coordinate-sorted and indexed; or an ``https://`` /
               ``s3://`` URL with its index beside it (checked when it is opened).
``assay``      (required) ``rna`` (RNA-seq) or ``dna`` (DNA panel).
``reference``  (optional) genome FASTA the reads were aligned to (needed for CRAM and for
               soft-clip-only evidence such as STAR's default output).
``build``      (optional) ``GRCh38`` or ``GRCh37``; empty or ``auto`` = read from the header.

The sheet may be saved with a UTF-8 byte-order mark (Excel does).  Relative paths are taken
relative to the directory holding the sheet, so a sheet and its data can be moved together.
Lines starting with ``#`` and blank lines are skipped.

The Snakemake workflow (``workflow/rules/common.smk``) and ``fusioncheck check-sheet`` both use
:func:`read_sheet`, so a sheet that passes one passes the other.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from fusioncheck.bamio import index_candidates
from fusioncheck.errors import InputError
from fusioncheck.output import sample_id_problem
from fusioncheck.remote import is_remote

REQUIRED = ("sample", "bam", "assay")
OPTIONAL = ("reference", "build")
COLUMNS = REQUIRED + OPTIONAL
ASSAYS = ("rna", "dna")
BUILDS = ("auto", "GRCh38", "GRCh37")
#: Listed in a message at most this many problems; the count is always given.
MAX_LISTED = 50


class SheetError(InputError):
    """The sample sheet cannot be used; the message lists every bad row."""


@dataclass(frozen=True)
class Sample:
    """One checked row of the sheet, paths made absolute."""

    sample: str
    bam: Path | str  # a URL stays a string
    assay: str
    reference: Path | None
    build: str  # "auto", "GRCh38" or "GRCh37"

    @property
    def format(self) -> str:
        return "CRAM" if _is_cram(self.bam) else "BAM"


def _is_cram(location: Path | str) -> bool:
    return str(location).lower().split("?")[0].endswith(".cram")


def _show(value: str) -> str:
    return repr(value) if value else "(empty)"


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    # normpath, not resolve: keep the user's symlinks, drop the "config/../" noise.
    return Path(os.path.normpath(path if path.is_absolute() else base / path))


def _check_row(row: dict[str, str], base: Path) -> tuple[Sample | None, list[str]]:
    problems = []
    sample = row.get("sample") or ""
    if (problem := sample_id_problem(sample)) is not None:
        problems.append(problem)
    assay = row.get("assay") or ""
    if assay not in ASSAYS:
        problems.append(f"assay {_show(assay)} must be one of {', '.join(ASSAYS)}")
    build = row.get("build") or "auto"
    if build not in BUILDS:
        problems.append(f"build {build!r} must be empty or one of {', '.join(BUILDS)}")

    bam_value = row.get("bam") or ""
    bam = _resolve(base, bam_value) if bam_value and not is_remote(bam_value) else None
    if is_remote(bam_value):
        pass  # read in place; opening it says what is wrong (404, 403, no index)
    elif bam is None:
        problems.append("bam is empty")
    elif not bam.is_file():
        problems.append(f"bam {bam} does not exist")
    elif bam.suffix.lower() not in (".bam", ".cram"):
        problems.append(f"bam {bam} must end in .bam or .cram")
    elif not any(p.is_file() for p in index_candidates(bam)):
        problems.append(f"bam {bam} has no index: run `samtools index {bam}`")

    ref_value = row.get("reference") or ""
    reference = _resolve(base, ref_value) if ref_value else None
    if reference is not None and not reference.is_file():
        problems.append(f"reference {reference} does not exist")
    location: Path | str | None = bam_value if is_remote(bam_value) else bam
    if location is not None and _is_cram(location) and reference is None:
        problems.append(f"bam {location} is a CRAM: give its genome FASTA in the reference column")

    if problems or location is None:
        return None, problems
    return Sample(sample, location, assay, reference, build), []


def read_sheet(path: str | Path) -> list[Sample]:
    """The samples of the sheet at ``path``, or :class:`SheetError` listing every problem."""
    path = Path(path)
    try:
        # utf-8-sig: Excel's "UTF-8" export starts the file with a byte-order mark, which would
        # otherwise become part of the first column's name.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SheetError(f"sample sheet {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError(f"sample sheet {path} cannot be read ({exc})") from exc
    base = path.resolve().parent

    lines = [
        (number, line)
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip() and not line.startswith("#")
    ]
    if not lines:
        raise SheetError(
            f"sample sheet {path} is empty: it needs a header line "
            f"({chr(9).join(REQUIRED)}) and one line per sample"
        )
    header = next(csv.reader([lines[0][1]], delimiter="\t"))
    header_problems = []
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        header_problems.append(
            f"unknown column(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(COLUMNS)}"
            + (" (is the sheet tab-separated?)" if len(header) == 1 else "")
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        header_problems.append(f"missing column(s) {', '.join(missing)}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        header_problems.append(f"column(s) {', '.join(duplicated)} given more than once")
    if header_problems:
        raise SheetError(
            f"sample sheet {path}, header (line {lines[0][0]}): " + "; ".join(header_problems)
        )

    problems: list[str] = []
    samples: list[Sample] = []
    first_line: dict[str, int] = {}
    for number, line in lines[1:]:
        cells = next(csv.reader([line], delimiter="\t"))
        if len(cells) != len(header):
            problems.append(
                f"line {number}: {len(cells)} fields, the header has {len(header)} "
                "(fields must be separated by tabs)"
            )
            continue
        row = dict(zip(header, cells))
        sample, row_problems = _check_row(row, base)
        sample_id = row.get("sample") or ""
        if sample_id in first_line:
            row_problems.insert(
                0, f"sample {sample_id!r} already used on line {first_line[sample_id]}"
            )
        elif sample_id:
            first_line[sample_id] = number
        if row_problems:
            problems.append(f"line {number}: " + "; ".join(row_problems))
        elif sample is not None:
            samples.append(sample)

    if problems:
        listed = problems[:MAX_LISTED]
        more = len(problems) - len(listed)
        raise SheetError(
            f"sample sheet {path}: {len(problems)} bad row(s); fix them and run again:\n  "
            + "\n  ".join(listed)
            + (f"\n  ... and {more} more" if more else "")
        )
    if not samples:
        raise SheetError(f"sample sheet {path} lists no samples")
    return samples
