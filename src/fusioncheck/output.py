"""Write a scan result: the JSON (the source of truth) and a one-row-per-fusion TSV.

Files are written to a temporary name in the output directory and renamed, so a killed or
failed run never leaves a half-written result that could be read as final.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fusioncheck.errors import OutputError, UsageError

#: A sample ID becomes file names: letters, digits, ".", "_" and "-", starting with a letter
#: or digit (a leading "." would hide the files, a leading "-" reads as a command option).
SAMPLE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
#: Longest sample ID: file systems cap a name at 255 bytes, and the longest name made from an
#: ID (the hidden temporary ``.<id>.fusioncheck.json.<random>.tmp``) adds 31; 100 leaves room
#: for the workflow's own suffixes and for a copy's prefix.
SAMPLE_ID_MAX_LENGTH = 100


def sample_id_problem(sample: str) -> str | None:
    """Why ``sample`` cannot be a sample ID (it becomes file names), or None when it can."""
    if not sample:
        return "sample is empty"
    if len(sample) > SAMPLE_ID_MAX_LENGTH:
        return (
            f"sample {sample[:20]!r}... is {len(sample)} characters long; use at most "
            f"{SAMPLE_ID_MAX_LENGTH} (it becomes file names)"
        )
    if not SAMPLE_ID.match(sample):
        return (
            f"sample {sample!r} is not a safe ID: use letters, digits, '.', '_' and '-', "
            "starting with a letter or digit (no spaces, slashes or other characters)"
        )
    return None


def check_sample_id(sample: str) -> None:
    """A :class:`UsageError` unless ``sample`` can safely become file names."""
    if (problem := sample_id_problem(sample)) is not None:
        raise UsageError(problem)


TSV_COLUMNS = (
    "sample", "call", "confidence", "five_prime_gene", "three_prime_gene", "kind",
    "breakpoint_5p", "breakpoint_3p", "breakpoint_precision", "exon_5p", "exon_3p",
    "intron_5p", "intron_3p", "transcript_5p", "transcript_3p", "split_reads",
    "spanning_pairs", "supporting_fragments", "reading_frame", "fusion_confidence",
    "type_label", "passed", "side_5p", "side_3p", "fusion_protein", "filters",
    "junction_sequence", "junction_sequence_source",
)  # fmt: skip


def make_readable(path: Path) -> None:
    """Give ``path`` the mode a new file gets under the user's umask: results are for
    colleagues to read, and temporary files are created owner-only."""
    umask = os.umask(0)
    os.umask(umask)
    path.chmod(0o666 & ~umask)


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new hidden temporary file in ``path``'s directory (created if need be)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write results here ({exc.strerror})") from exc
    return fd, Path(tmp)


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` for a writer that wants a file name (a VCF writer, a
    PDF engine): renamed to ``path`` when the block succeeds, removed when it fails."""
    fd, tmp = _temp_beside(path)
    os.close(fd)
    try:
        yield tmp
        make_readable(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _write_temp(path: Path, text: str) -> Path:
    """``text`` in a hidden temporary file beside ``path``, flushed to disk."""
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        make_readable(tmp)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"{path}: writing failed ({exc.strerror}); nothing was kept") from exc
    return tmp


def atomic_write(files: dict[Path, str]) -> None:
    """Write every file or none: all go to temporary files first, then are renamed in order
    (so put the file whose presence means "finished" last)."""
    done: dict[Path, Path] = {}
    try:
        for path, text in files.items():
            done[path] = _write_temp(path, text)
    except OutputError:
        for tmp in done.values():
            tmp.unlink(missing_ok=True)
        raise
    for path, tmp in done.items():
        os.replace(tmp, path)


def tsv_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for fusion in result["fusions"]:
        row = {k: fusion.get(k) for k in TSV_COLUMNS}
        row.update(
            sample=result["sample"],
            call=result["call"],
            confidence=result["confidence"],
            fusion_confidence=fusion["confidence"],
            filters=filters_cell(fusion.get("filters") or {}),
        )
        rows.append(row)
    return rows


def filters_cell(counts: dict[str, int]) -> str | None:
    """A record's filter counts in one TSV field, ``name=count`` joined by ``;`` (filters that
    removed nothing left out), or None when none removed anything."""
    return ";".join(f"{name}={n}" for name, n in counts.items() if n) or None


def tsv_cell(value: object) -> str:
    """One TSV field: ``.`` for missing, yes/no, 4 significant digits, no tabs or newlines."""
    if value is None:
        return "."
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return " ".join(str(value).split())


def tsv_table(columns: Sequence[str], rows: list[dict[str, Any]]) -> str:
    lines = ["\t".join(columns)]
    lines += ["\t".join(tsv_cell(row[c]) for c in columns) for row in rows]
    return "\n".join(lines) + "\n"


def write_result(result: dict[str, Any], outdir: str | Path) -> list[Path]:
    """Write ``<sample>.fusioncheck.json`` and ``.tsv``; return their paths."""
    outdir = Path(outdir)
    json_path = outdir / f"{result['sample']}.fusioncheck.json"
    tsv_path = outdir / f"{result['sample']}.fusioncheck.tsv"
    # The JSON last: its presence means the run finished.
    atomic_write(
        {
            tsv_path: tsv_table(TSV_COLUMNS, tsv_rows(result)),
            json_path: json.dumps(result, indent=2) + "\n",
        }
    )
    return [json_path, tsv_path]
