"""Bytes a remote scan reads, against the file's size, and the same result as the local scan.

    python benchmarks/generate.py SIM.bam big/tumour.bam --pairs 10000000 --rna
    python benchmarks/remote_bytes.py big/tumour.bam --reference SIM_DIR/genome.fa.gz

Serves the BAM's directory from tests/servers.py's HTTP server (Range requests honoured, in its
own process on 127.0.0.1), scans the file locally and by URL with `fusioncheck scan`, and prints
the bytes the scan counted (`input.bytes_read`), the body bytes the server wrote, the file size,
the wall times, and whether the two results agree apart from input path, bytes read, command
and run.  docs/benchmarks.md records the figures.  Not a test: it needs a big BAM.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from servers import http_server  # noqa: E402


def scan(target: str, out: Path, reference: Path) -> tuple[dict, float]:
    start = time.perf_counter()
    subprocess.run(
        ["fusioncheck", "scan", target, "--sample", "s", "--outdir", str(out),
         "--reference", str(reference)],
        check=True, capture_output=True,
    )  # fmt: skip
    return json.loads((out / "s.fusioncheck.json").read_text()), time.perf_counter() - start


def comparable(doc: dict) -> dict:
    doc = json.loads(json.dumps(doc))
    for key in ("run", "command"):
        doc.pop(key)
    for key in ("path", "bytes_read"):
        doc["input"].pop(key)
    return doc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bam", type=Path)
    parser.add_argument("--reference", type=Path, required=True)
    args = parser.parse_args()
    bam = args.bam.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        local, local_s = scan(str(bam), Path(tmp) / "local", args.reference)
        with http_server(bam.parent) as server:
            remote, remote_s = scan(
                f"{server.url}/{bam.name}", Path(tmp) / "remote", args.reference
            )
            time.sleep(0.5)
            sent = server.sent
    size = bam.stat().st_size
    read = remote["input"]["bytes_read"]
    print(
        f"{bam.name}: {size:,} bytes; remote scan read {read:,} bytes ({100 * read / size:.3f} %), "
        f"server wrote {sent:,}; wall local {local_s:.1f} s, remote {remote_s:.1f} s; "
        f"call {remote['call']}; same result as local: {comparable(local) == comparable(remote)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
