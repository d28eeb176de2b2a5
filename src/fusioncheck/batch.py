"""``scan-batch``: many samples in one process, a bad sample costing only itself.

Start-up (Python, pysam, the package) is paid once per batch instead of once per sample.  Each
sample still gets its own ``<sample>.fusioncheck.json`` (+ ``.tsv``): a normal result, or, when
its input cannot be used, an error record (``call: ERROR`` with the message, the kind of error
and the fix) that no reader can take for a negative.  The other samples go on.
"""

from __future__ import annotations

import json
import logging
import socket
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fusioncheck import __version__, remote
from fusioncheck.config import Thresholds
from fusioncheck.errors import FusioncheckError, InputError, OutputError, UsageError
from fusioncheck.model import SCHEMA_VERSION, to_dict
from fusioncheck.output import TSV_COLUMNS, atomic_write, tsv_table, write_result
from fusioncheck.review.write import write_review_files
from fusioncheck.scan import Options, make_options, scan_with_support
from fusioncheck.sheet import Sample

log = logging.getLogger("fusioncheck")

#: Error kinds in the error record, from the exception's class.
KINDS: tuple[tuple[type[Exception], str], ...] = (
    (remote.RemoteError, "remote"),
    (UsageError, "usage"),
    (InputError, "input"),
    (OutputError, "output"),
)
#: The fix when the message carries none of its own, by kind.
DEFAULT_FIX = {
    "remote": "Check the URL and the server, then run again.",
    "usage": "Correct this sample's row of the sample sheet (build, assay, reference).",
    "input": "Fix or replace this sample's input file as the message says, then run again.",
    "output": "Make the output directory writable, with free space, then run again.",
    "internal": "This is a fusioncheck bug: report it with the sample's log (it holds the "
    "traceback); the other samples are not affected.",
}
#: First words of the sentence that says what to do, in the package's messages.
_IMPERATIVES = (
    "run", "pass", "use", "give", "drop", "check", "convert", "re-", "put", "set", "serve",
    "fix", "add", "remove", "index", "sort", "upload", "make", "copy", "correct",
)  # fmt: skip


def scan_sample(
    bam: str | Path, sample: str, options: Options, evidence_dir: Path | None = None
) -> tuple[dict[str, Any], list[Path]]:
    """One sample's result document, with ``input.bytes_read`` (the bytes the servers sent for
    a remote input, counted by :func:`fusioncheck.remote.count_bytes`; None for a local file or
    a remote one behind the user's own proxy), and the review files written into
    ``evidence_dir`` when given."""
    if remote.is_remote(bam):
        with remote.count_bytes() as received:
            typed, support = scan_with_support(bam, sample, options)
            sent = received()
    else:
        typed, support = scan_with_support(bam, sample, options)
        sent = None
    typed = replace(typed, input=replace(typed.input, bytes_read=sent))
    paths = write_review_files(typed, support, evidence_dir) if evidence_dir else []
    return to_dict(typed), paths


def error_kind(exc: Exception) -> str:
    return next((kind for cls, kind in KINDS if isinstance(exc, cls)), "internal")


def split_fix(message: str, kind: str) -> str:
    """The part of ``message`` that says what to do (from the first clause that starts with an
    imperative), else the kind's default fix."""
    for separator in (". ", ": ", "; "):
        parts = message.split(separator)
        for n, part in enumerate(parts[1:], start=1):
            if part.lower().startswith(_IMPERATIVES):
                return separator.join(parts[n:])
    return DEFAULT_FIX[kind]


def error_record(sample: Sample, exc: Exception, command: str, started: datetime) -> dict[str, Any]:
    """The result document of a sample whose scan failed."""
    kind = error_kind(exc)
    message = str(exc) if kind != "internal" else f"{type(exc).__name__}: {exc}"
    fix = getattr(exc, "fix", None) or split_fix(message, kind)
    return {
        "schema_version": SCHEMA_VERSION,
        "sample": sample.sample,
        "call": "ERROR",
        "error": {"kind": kind, "message": message, "fix": fix},
        "tool": {"name": "fusioncheck", "version": __version__},
        "input": {
            "path": str(sample.bam),
            "reference": str(sample.reference) if sample.reference else None,
        },
        "command": command,
        "run": {
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
        },
    }


def write_error(record: dict[str, Any], outdir: str | Path) -> list[Path]:
    """The error record as JSON, and a one-row TSV saying ERROR (never an empty table, which
    would read as "no fusion")."""
    outdir = Path(outdir)
    json_path = outdir / f"{record['sample']}.fusioncheck.json"
    tsv_path = outdir / f"{record['sample']}.fusioncheck.tsv"
    row: dict[str, object] = dict.fromkeys(TSV_COLUMNS)
    row.update(sample=record["sample"], call="ERROR")
    atomic_write(
        {tsv_path: tsv_table(TSV_COLUMNS, [row]), json_path: json.dumps(record, indent=2) + "\n"}
    )
    return [json_path, tsv_path]


@dataclass(frozen=True)
class Outcome:
    sample: str
    call: str  # the call, or "ERROR"
    detail: str  # the call's reason, or the error message


def scan_batch(
    samples: Iterable[Sample],
    outdir: str | Path,
    thresholds: Thresholds,
    command: str,
    reference: Path | None = None,
    threads: int = 1,
    full_checksum: bool = False,
    unmapped_tail: bool = False,
    evidence_dir: Path | None = None,
) -> list[Outcome]:
    """Scan each sample in turn and write its result or its error record; never stops on a
    sample's own error.  Only a failure to write into ``outdir`` ends the batch (no record
    could be kept)."""
    outcomes = []
    for sample in samples:
        started = datetime.now(timezone.utc)
        try:
            options = make_options(
                reference=sample.reference or reference,
                build=sample.build,
                assay=sample.assay,
                thresholds=thresholds,
                threads=threads,
                command=command,
                full_checksum=full_checksum,
                unmapped_tail=unmapped_tail,
                targets=sample.targets,
                tumour_content=sample.tumour_content,
                umi=sample.umi,
            )
            result, _ = scan_sample(sample.bam, sample.sample, options, evidence_dir)
        except OutputError:
            raise
        except Exception as exc:  # noqa: BLE001 -- one sample's failure must not stop the rest
            if not isinstance(exc, FusioncheckError):
                log.error("%s: unexpected error\n%s", sample.sample, traceback.format_exc())
            record = error_record(sample, exc, command, started)
            write_error(record, outdir)
            message = str(record["error"]["message"])
            log.error("%s: ERROR: %s", sample.sample, message)
            outcomes.append(Outcome(sample.sample, "ERROR", message))
            continue
        write_result(result, outdir)
        outcomes.append(Outcome(sample.sample, result["call"], result["call_reason"]))
    return outcomes
