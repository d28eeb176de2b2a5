"""Alignment files read in place over the network (``https://``, ``http://``, ``s3://``).

htslib (libcurl and its S3 plugin) does the reading, so a scan fetches only the index and the
blocks of the target windows. This module adds what htslib does not say clearly: which URL
failed, why (403, 404, no index beside the file, no Range support, a timeout) and what to do;
the file's size and fingerprint through the same ranged reads; the index fetched once into a
private directory (htslib would otherwise save it into the working directory under its bare
name, where two remote ``sample.bam.bai`` of different folders would collide); and a count of
the bytes the servers sent (:class:`ByteTap`).

S3: credentials and region from the usual ``AWS_*`` variables (or ``~/.aws/credentials``),
an S3-compatible endpoint from ``HTS_S3_HOST`` (with ``HTS_S3_ADDRESS_STYLE=path`` for most);
``s3://`` is HTTPS, ``s3+http://`` plain HTTP (a local test store). Slow servers: htslib gives up
after ``HTS_LOW_SPEED_TIME`` seconds (default 60) below ``HTS_LOW_SPEED_LIMIT`` bytes/s.
"""

from __future__ import annotations

import atexit
import errno
import hashlib
import os
import select
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from pysam.libchtslib import HFile

from fusioncheck.errors import InputError

SCHEMES = ("http://", "https://", "s3://", "s3+http://", "s3+https://")
MIB = 1 << 20


class RemoteError(InputError):
    """A remote input cannot be read; ``fix`` says what to do."""

    def __init__(self, url: str, problem: str, fix: str) -> None:
        super().__init__(f"{url}: {problem}. {fix}")
        self.fix = fix


def is_remote(location: object) -> bool:
    return str(location).startswith(SCHEMES)


def _explain(url: str, exc: OSError) -> RemoteError:
    """htslib's errno (from the HTTP status or curl's error) as a problem and its fix."""
    s3 = url.startswith("s3")
    causes = {
        errno.ENOENT: (
            "not found (HTTP 404)",
            "Check the URL (bucket, folder and file name) in the sample sheet or command.",
        ),
        errno.EACCES: (
            "access denied (HTTP 403)",
            "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) for an "
            "account that may read it, or check AWS_DEFAULT_REGION"
            if s3
            else "Use a URL you may read (a fresh signed link, or ask the server's owner)",
        ),
        errno.EPERM: (
            "authentication required (HTTP 401)",
            "Give credentials the server accepts (e.g. a signed URL)",
        ),
        errno.ESPIPE: (
            "the server does not support HTTP Range requests, so only the whole file could be read",
            "Serve the file from a server that answers Range requests with 206 (any object "
            "store, nginx, Apache), or copy it locally and scan the copy",
        ),
        errno.ETIMEDOUT: (
            "the server did not answer in time",
            "Check the network and the server, then run again; HTS_LOW_SPEED_TIME (seconds, "
            "default 60) sets how long a stalled transfer is waited for",
        ),
    }
    default = (
        f"cannot be read ({os.strerror(exc.errno) if exc.errno else exc})",
        "Check the URL and that the server is reachable from this machine"
        + ("; for an S3-compatible store set HTS_S3_HOST" if s3 else ""),
    )
    problem, fix = causes.get(exc.errno or 0, default)
    return RemoteError(url, problem, fix)


def open_remote(url: str) -> HFile:
    try:
        return HFile(url, "r")
    except OSError as exc:
        raise _explain(url, exc) from None


def check_readable(url: str) -> None:
    """Open ``url`` and read one byte from its middle: a 404, 403 or a server that ignores
    Range requests is named here, before the scan seeks into the file."""
    try:
        # hclose reports an error of the last transfer too, so it is inside the try.
        with open_remote(url) as handle:
            handle.seek(handle.seek(0, os.SEEK_END) // 2)
            handle.read(1)
    except OSError as exc:
        raise _explain(url, exc) from None


def size_bytes(url: str) -> int:
    with open_remote(url) as handle:
        try:
            return handle.seek(0, os.SEEK_END)
        except OSError as exc:
            raise _explain(url, exc) from None


def fingerprint(url: str, full: bool) -> dict[str, str]:
    """The same digest :class:`fusioncheck.bamio.AlignmentInput` computes for a local file
    (size, first and last MiB; or every byte), from ranged reads: a remote file and its local
    copy get the same value."""
    digest = hashlib.sha256()
    with open_remote(url) as handle:
        try:
            if full:
                for chunk in iter(lambda: handle.read(MIB), b""):
                    digest.update(chunk)
                return {"algorithm": "sha256", "value": digest.hexdigest()}
            size = handle.seek(0, os.SEEK_END)
            digest.update(str(size).encode())
            handle.seek(0)
            digest.update(handle.read(MIB))
            handle.seek(max(0, size - MIB))
            digest.update(handle.read(MIB))
        except OSError as exc:
            raise _explain(url, exc) from None
    return {"algorithm": "sha256-fingerprint", "value": digest.hexdigest()}


def index_urls(url: str, fmt: str) -> list[str]:
    """Where samtools looks for a remote file's index (query strings kept)."""
    parts = urlsplit(url)
    query = f"?{parts.query}" if parts.query else ""
    base = url[: len(url) - len(query)] if query else url
    stem = base.rsplit(".", 1)[0]
    if fmt == "CRAM":
        return [f"{base}.crai{query}", f"{stem}.crai{query}"]
    return [f"{base}.bai{query}", f"{stem}.bai{query}", f"{base}.csi{query}"]


_INDEX_DIR: list[str] = []


def _private_dir() -> str:
    if not _INDEX_DIR:
        _INDEX_DIR.append(tempfile.mkdtemp(prefix="fusioncheck-index-"))
        atexit.register(shutil.rmtree, _INDEX_DIR[0], True)
    return _INDEX_DIR[0]


def fetch_index(url: str, fmt: str) -> str:
    """Copy the first index found beside ``url`` into a private directory; its local path."""
    for candidate in index_urls(url, fmt):
        try:
            handle = HFile(candidate, "r")
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                continue
            raise _explain(candidate, exc) from None
        suffix = PurePosixPath(urlsplit(candidate).path).suffix
        fd, local = tempfile.mkstemp(dir=_private_dir(), suffix=suffix)
        with handle, os.fdopen(fd, "wb") as out:
            while chunk := handle.read(MIB):
                out.write(chunk)
        return local
    names = ", ".join(PurePosixPath(urlsplit(c).path).name for c in index_urls(url, fmt))
    suffix = "crai" if fmt == "CRAM" else "bai"
    raise RemoteError(
        url,
        f"no index beside the file (looked for {names})",
        f"Put the index next to it: run `samtools index` on a copy and upload the .{suffix} "
        f"to the same folder as {PurePosixPath(urlsplit(url).path).name}.{suffix}",
    )


# --- counting the bytes servers send ----------------------------------------------------------


class _Relay(socketserver.BaseRequestHandler):
    """One client connection from libcurl: a CONNECT tunnel (HTTPS) or one plain HTTP request
    (sent on with ``Connection: close``); counts what comes back from the server."""

    server: _TapServer

    def handle(self) -> None:
        client = self.request
        head = b""
        while b"\r\n\r\n" not in head:
            data = client.recv(65536)
            if not data:
                return
            head += data
        line, _, rest = head.partition(b"\r\n")
        method, target, version = line.split(b" ", 2)
        if method == b"CONNECT":
            host, _, port = target.decode().rpartition(":")
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            first = rest.partition(b"\r\n\r\n")[2]
        else:
            parts = urlsplit(target.decode())
            upstream = socket.create_connection((parts.hostname, parts.port or 80))
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            headers = [
                h
                for h in rest.split(b"\r\n")
                if not h.lower().startswith((b"connection:", b"proxy-connection:"))
            ]
            first = b" ".join([method, path.encode(), version]) + b"\r\n"
            first += b"\r\n".join(h for h in headers if h) + b"\r\nConnection: close\r\n\r\n"
        with upstream:
            try:
                if first:
                    upstream.sendall(first)
                self._pump(client, upstream)
            except (ConnectionResetError, BrokenPipeError):
                pass  # libcurl hangs up on a transfer when htslib seeks elsewhere

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        # Small buffers on both sides: the relay then pulls from the server only about as fast
        # as htslib reads, instead of letting megabytes pile up in kernel buffers before
        # htslib seeks elsewhere and hangs up (bytes the server sent for nothing).
        upstream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RELAY_BUFFER)
        client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, RELAY_BUFFER)
        ends = [client, upstream]
        while True:
            readable, _, _ = select.select(ends, [], [])
            for end in readable:
                data = end.recv(RELAY_BUFFER)
                if not data:
                    return
                if end is upstream:
                    self.server.add(len(data))
                    client.sendall(data)
                else:
                    upstream.sendall(data)


class _TapServer(socketserver.ThreadingTCPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.received = 0
        self._lock = threading.Lock()

    def add(self, n: int) -> None:
        with self._lock:
            self.received += n


RELAY_BUFFER = 64 * 1024
PROXY_VARIABLES = ("http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")


class ByteTap:
    """A relay on 127.0.0.1 in a child process (htslib holds the GIL while it waits on the
    network, so a thread of this process could not answer it) that counts what servers send.
    libcurl reads the proxy variables at each transfer; :meth:`counting` sets them around a
    block and restores them."""

    def __init__(self) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "fusioncheck.remote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._child.stdout and self._child.stdin
        self.proxy = f"http://127.0.0.1:{self._child.stdout.readline().strip()}"

    def received(self) -> int:
        assert self._child.stdout and self._child.stdin
        self._child.stdin.write("\n")
        self._child.stdin.flush()
        return int(self._child.stdout.readline())

    def close(self) -> None:
        assert self._child.stdin and self._child.stdout
        self._child.stdin.close()
        self._child.wait(10)
        self._child.stdout.close()

    @contextmanager
    def counting(self) -> Iterator[Callable[[], int]]:
        """Yields a function giving the bytes received since the block began."""
        saved = {v: os.environ.pop(v, None) for v in NO_PROXY_VARIABLES}
        os.environ.update(dict.fromkeys(PROXY_VARIABLES, self.proxy))
        before = self.received()
        try:
            yield lambda: self.received() - before
        finally:
            for variable in PROXY_VARIABLES:
                os.environ.pop(variable, None)
            os.environ.update({k: v for k, v in saved.items() if v is not None})


_TAP: list[ByteTap] = []


@contextmanager
def count_bytes() -> Iterator[Callable[[], int | None]]:
    """Count the bytes servers send during the block (one relay per process, started on first
    use).  Gives None when the user has a proxy of their own configured: it is left alone."""
    if any(os.environ.get(v) for v in PROXY_VARIABLES):
        yield lambda: None
        return
    if not _TAP:
        _TAP.append(ByteTap())
        atexit.register(_TAP[0].close)
    with _TAP[0].counting() as received:
        yield received


def _serve_tap() -> None:
    """The child: print the port, then answer each line on stdin with the bytes counted."""
    server = _TapServer()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    for _ in sys.stdin:
        print(server.received, flush=True)


if __name__ == "__main__":
    _serve_tap()
