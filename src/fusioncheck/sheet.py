"""Read and check a sample sheet: one row per sample, every problem reported at once.

The sheet is tab-separated with a header line.  Columns:

``sample``     (required) the sample ID; it becomes part of file names, so it must start with a
               letter or digit and hold only letters, digits, ``.``, ``_`` and ``-``.
``bam``        (required) BAM or CRAM path, coordinate-sorted and indexed; or an ``https://`` /
               ``s3://`` URL with its index beside it (checked when it is opened).
``assay``      (required) the assay design (docs/assays.md): ``wts``, ``amp`` (anchored
               multiplex PCR), ``rna_capture``, ``dna_capture``, ``auto``; ``rna`` (= wts) and
               ``dna`` (= dna_capture) as before.
``reference``  (optional) genome FASTA the reads were aligned to (needed for CRAM and for
               soft-clip-only evidence such as STAR's default output).
``build``      (optional) ``GRCh38`` or ``GRCh37``; empty or ``auto`` = read from the header.
``targets``    (optional) BED of the panel's baits or primers (which side(s) it covers).
``tumour_content`` (optional) the pathologist's tumour content estimate, above 0 and at most 1.
``umi``        (optional) where UMIs are: ``RX``, ``MI``, ``name``, ``none``; empty = ``auto``.

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
from fusioncheck.design import DESIGNS
from fusioncheck.errors import InputError
from fusioncheck.molecules import UMI_MODES
from fusioncheck.output import sample_id_problem
from fusioncheck.remote import is_remote

REQUIRED = ("sample", "bam", "assay")
OPTIONAL = ("reference", "build", "targets", "tumour_content", "umi")
COLUMNS = REQUIRED + OPTIONAL
ASSAYS = DESIGNS
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
    targets: Path | None = None  # BED of baits or primers
    tumour_content: float | None = None
    umi: str = "auto"

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


def _check_bam(value: str, base: Path) -> tuple[Path | str | None, list[str]]:
    if is_remote(value):
        return value, []  # read in place; opening it says what is wrong (404, 403, no index)
    if not value:
        return None, ["bam is empty"]
    bam = _resolve(base, value)
    if not bam.is_file():
        return None, [f"bam {bam} does not exist"]
    if bam.suffix.lower() not in (".bam", ".cram"):
        return None, [f"bam {bam} must end in .bam or .cram"]
    if not any(p.is_file() for p in index_candidates(bam)):
        return None, [f"bam {bam} has no index: run `samtools index {bam}`"]
    return bam, []


def _optional_file(row: dict[str, str], column: str, base: Path) -> tuple[Path | None, list[str]]:
    value = row.get(column) or ""
    path = _resolve(base, value) if value else None
    if path is not None and not path.is_file():
        return path, [f"{column} {path} does not exist"]
    return path, []


def _check_panel(row: dict[str, str]) -> tuple[float | None, str, list[str]]:
    """The panel columns: tumour content and UMI source."""
    problems = []
    tumour: float | None = None
    value = (row.get("tumour_content") or "").strip()
    if value:
        try:
            tumour = float(value)
        except ValueError:
            tumour = -1.0
        if not 0 < tumour <= 1:
            problems.append(
                f"tumour_content {value!r} must be a fraction above 0 and at most 1 (e.g. 0.3 "
                "for 30 %), or empty"
            )
    umi = row.get("umi") or "auto"
    if umi not in UMI_MODES:
        problems.append(f"umi {umi!r} must be empty or one of {', '.join(UMI_MODES)}")
    return tumour, umi, problems


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
    location, bam_problems = _check_bam(row.get("bam") or "", base)
    reference, ref_problems = _optional_file(row, "reference", base)
    targets, bed_problems = _optional_file(row, "targets", base)
    tumour, umi, panel_problems = _check_panel(row)
    problems += bam_problems + ref_problems + bed_problems + panel_problems
    if location is not None and _is_cram(location) and reference is None:
        problems.append(f"bam {location} is a CRAM: give its genome FASTA in the reference column")
    if problems or location is None:
        return None, problems
    return Sample(sample, location, assay, reference, build, targets, tumour, umi), []


def _lines(path: Path) -> list[tuple[int, str]]:
    """Numbered non-blank, non-comment lines of the sheet."""
    try:
        # utf-8-sig: Excel's "UTF-8" export starts the file with a byte-order mark, which would
        # otherwise become part of the first column's name.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SheetError(f"sample sheet {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SheetError(f"sample sheet {path} cannot be read ({exc})") from exc
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
    return lines


def _check_header(header: list[str], path: Path, number: int) -> None:
    problems = []
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(COLUMNS)}"
            + (" (is the sheet tab-separated?)" if len(header) == 1 else "")
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    duplicated = sorted({c for c in header if header.count(c) > 1})
    if duplicated:
        problems.append(f"column(s) {', '.join(duplicated)} given more than once")
    if problems:
        raise SheetError(f"sample sheet {path}, header (line {number}): " + "; ".join(problems))


def read_sheet(path: str | Path) -> list[Sample]:
    """The samples of the sheet at ``path``, or :class:`SheetError` listing every problem."""
    path = Path(path)
    lines = _lines(path)
    base = path.resolve().parent
    header = next(csv.reader([lines[0][1]], delimiter="\t"))
    _check_header(header, path, lines[0][0])
    samples, problems = _check_rows(lines[1:], header, base)
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


def _check_rows(
    lines: list[tuple[int, str]], header: list[str], base: Path
) -> tuple[list[Sample], list[str]]:
    problems: list[str] = []
    samples: list[Sample] = []
    first_line: dict[str, int] = {}
    for number, line in lines:
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

    return samples, problems
