"""PDF for the lab record: the HTML report printed by headless Chromium.

Chromium prints exactly the page the pathologist sees on screen (one rendering path, same
sections, same figures), needs no Python dependency, and is one package on Debian/Ubuntu
(``apt-get install chromium``), RHEL/Rocky (EPEL ``chromium``) and macOS (Google Chrome).  See
docs/report.md for the choice.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fusioncheck.errors import FusioncheckError
from fusioncheck.output import atomic_output

#: Executable names tried, in order, when neither --chromium nor FUSIONCHECK_CHROMIUM is set.
CANDIDATES = (
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
)

#: Flags for a headless, offline, single-use browser.  --no-sandbox: containers and HPC nodes
#: usually lack the user namespaces Chromium's sandbox needs; the page it opens is our own file,
#: with no script and a policy that forbids every request.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--no-pdf-header-footer",
)


class PdfEngineError(FusioncheckError):
    """The PDF could not be made (no Chromium, or Chromium failed)."""


def find_chromium(explicit: str | None = None) -> str:
    """Path of the Chromium/Chrome executable, or :class:`PdfEngineError` saying what to do."""
    for name in (explicit, os.environ.get("FUSIONCHECK_CHROMIUM")):
        if name:
            found = shutil.which(name)
            if found:
                return found
            raise PdfEngineError(
                f"PDF engine {name!r} not found or not executable: give the path of Chromium "
                "or Chrome, or pass --no-pdf to write HTML and VCF only"
            )
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    raise PdfEngineError(
        "no Chromium/Chrome found to print the PDF: install it (Debian/Ubuntu: "
        "`apt-get install chromium`), point --chromium or FUSIONCHECK_CHROMIUM at it, or pass "
        "--no-pdf to write HTML and VCF only"
    )


def html_to_pdf(html: Path, pdf: Path, chromium: str, timeout: float = 120.0) -> Path:
    """Print ``html`` to ``pdf`` (written under a temporary name, then renamed)."""
    with (
        atomic_output(pdf) as tmp,
        tempfile.TemporaryDirectory(prefix="fusioncheck-chromium-") as profile,
    ):
        cmd = [
            chromium,
            *FLAGS,
            f"--user-data-dir={profile}",
            f"--print-to-pdf={tmp}",
            html.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise PdfEngineError(f"{chromium} did not print {html} in {timeout:g} s") from exc
        except OSError as exc:
            raise PdfEngineError(f"{chromium} could not be started ({exc.strerror})") from exc
        if proc.returncode != 0 or tmp.read_bytes()[:5] != b"%PDF-":
            tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
            raise PdfEngineError(
                f"{chromium} failed to print {html} (exit {proc.returncode}):\n{tail}"
            )
    return pdf
