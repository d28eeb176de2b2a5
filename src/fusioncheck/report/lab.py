"""The laboratory printed on the report: name, address, accreditation line and logo.

Given on the command line (``fusioncheck report --lab-name ...``) or in the workflow's ``lab:``
config block.  The logo is embedded as a ``data:`` URI, because the page's
Content-Security-Policy forbids every request (and a report must not depend on a file beside
it); only PNG, JPEG and SVG images are accepted, and an SVG shown through ``<img>`` cannot run
script.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from fusioncheck.errors import InputError

#: Logo formats accepted, by file suffix.
LOGO_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
              ".svg": "image/svg+xml"}  # fmt: skip

#: A logo is a letterhead mark, not a photograph: a larger file is almost surely a mistake.
MAX_LOGO_BYTES = 512 * 1024


@dataclass(frozen=True)
class Lab:
    name: str = ""
    address: str = ""
    accreditation: str = ""
    logo: str = ""  # a data: URI, or "" for none


def logo_data_uri(path: str | Path) -> str:
    """``path`` as a ``data:`` URI, or :class:`InputError` naming the file and the fix."""
    path = Path(path)
    mime = LOGO_TYPES.get(path.suffix.lower())
    if mime is None:
        raise InputError(f"{path}: logo must be a PNG, JPEG or SVG file (.png, .jpg, .jpeg, .svg)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the logo ({exc.strerror}); check the path") from exc
    if len(data) > MAX_LOGO_BYTES:
        raise InputError(
            f"{path}: logo is {len(data):,} bytes; give an image under {MAX_LOGO_BYTES // 1024} KiB"
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def make_lab(
    name: str | None = None,
    address: str | None = None,
    accreditation: str | None = None,
    logo: str | Path | None = None,
) -> Lab:
    """A :class:`Lab` from optional CLI/config values (empty strings mean 'not given')."""
    return Lab(
        name=(name or "").strip(),
        address=(address or "").strip(),
        accreditation=(accreditation or "").strip(),
        logo=logo_data_uri(logo) if logo else "",
    )
