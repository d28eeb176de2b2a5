"""Servers on 127.0.0.1 for the remote-input tests and benchmark: a static HTTP server that
honours Range requests (or, with ``ranges=False``, ignores them as a plain server would), counts
the body bytes it sends, and can refuse (403) or stall named files; and moto's S3 server."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit


@dataclass
class Served:
    root: Path
    ranges: bool = True
    forbidden: set[str] = field(default_factory=set)
    stalled: set[str] = field(default_factory=set)
    sent: int = 0
    requests: list[str] = field(default_factory=list)
    url: str = ""


def _handler(served: Served) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
            self._serve(body=False)

        def do_GET(self) -> None:  # noqa: N802
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            name = urlsplit(self.path).path.lstrip("/")
            served.requests.append(f"{self.command} {name} {self.headers.get('Range', '')}")
            if name in served.stalled:
                time.sleep(30)
                return
            path = served.root / name
            if name in served.forbidden:
                return self._status(403)
            if not path.is_file():
                return self._status(404)
            size = path.stat().st_size
            start, end = 0, size - 1
            match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
            if served.ranges and match and size:
                if match[1]:
                    start = int(match[1])
                    end = min(int(match[2]), size - 1) if match[2] else size - 1
                else:
                    start = max(0, size - int(match[2]))
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            else:
                self.send_response(200)
            if served.ranges:
                self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            self.end_headers()
            if body:
                self._send(path, start, end - start + 1)

        def _send(self, path: Path, start: int, length: int) -> None:
            with open(path, "rb") as handle:
                handle.seek(start)
                while length > 0:
                    chunk = handle.read(min(length, 1 << 16))
                    try:
                        self.wfile.write(chunk)
                    except (BrokenPipeError, ConnectionResetError):
                        return  # the client had what it needed and hung up
                    served.sent += len(chunk)
                    length -= len(chunk)
            (served.root / ".sent.tmp").write_text(str(served.sent))
            os.replace(served.root / ".sent.tmp", served.root / ".sent")

        def _status(self, code: int) -> None:
            self.send_response(code)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    url: str
    root: Path

    @property
    def sent(self) -> int:
        """Body bytes sent so far (the server writes it after each response)."""
        path = self.root / ".sent"
        return int(path.read_text()) if path.exists() else 0


@contextmanager
def http_server(
    root: Path, ranges: bool = True, forbidden: tuple[str, ...] = (), stalled: tuple[str, ...] = ()
) -> Iterator[Server]:
    """The server in a child process: htslib holds the GIL while it waits for an answer, so a
    server thread in the test's own process would never get to send one."""
    command = [sys.executable, __file__, str(root)]
    command += ["--no-ranges"] * (not ranges)
    command += [f"--forbid={name}" for name in forbidden]
    command += [f"--stall={name}" for name in stalled]
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert child.stdout
    try:
        yield Server(child.stdout.readline().strip(), root)
    finally:
        child.terminate()
        child.wait(10)
        child.stdout.close()


@contextmanager
def s3_server(authenticated_after: int | None = None) -> Iterator[str]:
    """moto's S3 in server mode (its own process) on 127.0.0.1; yields host:port.  With
    ``authenticated_after=N``, requests after the first N must carry a key moto knows, so any
    other key is refused with 403 as on AWS."""
    port = _free_port()
    env = dict(os.environ)
    if authenticated_after is not None:
        env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(authenticated_after)
    child = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "moto server did not start"
                time.sleep(0.1)
        yield f"127.0.0.1:{port}"
    finally:
        child.terminate()
        child.wait(10)


def upload(endpoint: str, bucket: str, files: dict[str, Path]) -> None:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=f"http://{endpoint}",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_bucket(Bucket=bucket)
    for key, path in files.items():
        client.upload_file(str(path), bucket, key)


def copy_with_index(bam: Path, root: Path, name: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    target = root / name
    shutil.copy(bam, target)
    for suffix in (".bai", ".crai"):
        if os.path.exists(f"{bam}{suffix}"):
            shutil.copy(f"{bam}{suffix}", f"{target}{suffix}")
    return target


def main() -> None:
    args = sys.argv[1:]
    served = Served(Path(args[0]), ranges="--no-ranges" not in args)
    served.forbidden = {a.split("=", 1)[1] for a in args if a.startswith("--forbid=")}
    served.stalled = {a.split("=", 1)[1] for a in args if a.startswith("--stall=")}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(served))
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
