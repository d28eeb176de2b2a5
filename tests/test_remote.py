"""Remote inputs read in place through htslib: an HTTP server honouring Range requests (and one
that does not), and moto's S3 server, all started by the tests on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from servers import copy_with_index, http_server, s3_server, upload

from fusioncheck.cli import main


@pytest.fixture(scope="module")
def positive(simulate_fixture):
    return simulate_fixture()


@pytest.fixture(scope="module")
def www(positive, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("www")
    copy_with_index(positive.bam, root, "tumour.bam")
    copy_with_index(positive.bam, root / "noindex", "tumour.bam")
    (root / "noindex" / "tumour.bam.bai").unlink()
    return root


@pytest.fixture(scope="module")
def local_result(positive, tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("local")
    assert main(["scan", str(positive.bam), "--sample", "s", "--outdir", str(out),
                 "--reference", str(positive.genome)]) == 0  # fmt: skip
    return json.loads((out / "s.fusioncheck.json").read_text())


def comparable(doc: dict) -> dict:
    """What must agree between a local and a remote scan of the same file."""
    doc = json.loads(json.dumps(doc))
    doc.pop("run"), doc.pop("command"), doc["input"].pop("path"), doc["input"].pop("bytes_read")
    return doc


def scan(url: str, out: Path, reference: Path) -> int:
    return main(["scan", url, "--sample", "s", "--outdir", str(out), "--reference", str(reference)])


def test_https_style_url_gives_the_local_result(www, positive, local_result, tmp_path) -> None:
    with http_server(www) as server:
        assert scan(f"{server.url}/tumour.bam", tmp_path, positive.genome) == 0
        sent = server.sent
    remote = json.loads((tmp_path / "s.fusioncheck.json").read_text())
    assert remote["input"]["path"] == f"{server.url}/tumour.bam"
    assert comparable(remote) == comparable(local_result)
    assert remote["call"] == "DETECTED"
    # Same fingerprint and size as the local copy: ranged reads of the same bytes.
    assert remote["input"]["checksum"] == local_result["input"]["checksum"]
    # Counted on our side of the connection: what arrived, at most what the server wrote
    # (headers included, a little more may be in flight when libcurl hangs up).
    assert 0 < remote["input"]["bytes_read"] <= sent + 100_000
    assert not list(Path.cwd().glob("tumour.bam.bai"))  # htslib's copy of the index not left here


def test_remote_sample_in_a_batch_sheet(www, positive, tmp_path) -> None:
    with http_server(www) as server:
        (tmp_path / "s.tsv").write_text(
            "sample\tbam\tassay\treference\n"
            f"web\t{server.url}/tumour.bam\trna\t{positive.genome}\n"
            f"gone\t{server.url}/missing.bam\trna\t{positive.genome}\n"
        )
        code = main(["scan-batch", "--sheet", str(tmp_path / "s.tsv"), "--outdir", str(tmp_path)])
    assert code == 1
    assert json.loads((tmp_path / "web.fusioncheck.json").read_text())["call"] == "DETECTED"
    gone = json.loads((tmp_path / "gone.fusioncheck.json").read_text())
    assert gone["error"]["kind"] == "remote"
    assert gone["error"]["message"].startswith(f"{server.url}/missing.bam: not found (HTTP 404)")


@pytest.mark.parametrize(
    "name, options, problem, fix",
    [
        ("missing.bam", {}, "not found (HTTP 404)", "Check the URL"),
        ("tumour.bam", {"forbidden": ("tumour.bam",)}, "access denied (HTTP 403)", "a fresh signed link"),  # noqa: E501
        ("noindex/tumour.bam", {}, "no index beside the file (looked for tumour.bam.bai, tumour.bai, tumour.bam.csi)", "upload the .bai"),  # noqa: E501
        ("tumour.bam", {"ranges": False}, "the server does not support HTTP Range requests", "copy it locally"),  # noqa: E501
        ("tumour.bam", {"stalled": ("tumour.bam",)}, "the server did not answer in time", "HTS_LOW_SPEED_TIME"),  # noqa: E501
    ],
)  # fmt: skip
def test_remote_errors_name_the_url_and_the_fix(
    www, positive, tmp_path, capsys, monkeypatch, name, options, problem, fix
) -> None:
    monkeypatch.setenv("HTS_LOW_SPEED_TIME", "2")
    monkeypatch.setenv("HTS_RETRY_MAX", "0")
    with http_server(www, **options) as server:
        assert scan(f"{server.url}/{name}", tmp_path, positive.genome) == 1
    err = capsys.readouterr().err
    assert f"error: {server.url}/{name}: {problem}" in err, err
    assert fix in err, err
    assert not (tmp_path / "s.fusioncheck.json").exists()


@pytest.fixture(scope="module")
def s3(www):
    with s3_server() as endpoint:
        upload(endpoint, "archive", {"rna/tumour.bam": www / "tumour.bam",
                                     "rna/tumour.bam.bai": www / "tumour.bam.bai"})  # fmt: skip
        yield endpoint


@pytest.fixture
def s3_env(s3, monkeypatch):
    """htslib's S3 plugin: credentials from AWS_*, the endpoint from HTS_S3_HOST."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("HTS_S3_HOST", s3)
    monkeypatch.setenv("HTS_S3_ADDRESS_STYLE", "path")
    return s3


def test_s3_object_gives_the_local_result(s3_env, positive, local_result, tmp_path) -> None:
    # s3+http: the local store speaks plain HTTP; s3:// is the same over HTTPS.
    url = "s3+http://archive/rna/tumour.bam"
    assert scan(url, tmp_path, positive.genome) == 0
    remote = json.loads((tmp_path / "s.fusioncheck.json").read_text())
    assert comparable(remote) == comparable(local_result)
    assert remote["input"]["bytes_read"] > 0


def test_s3_missing_object_and_missing_index(s3_env, positive, tmp_path, capsys) -> None:
    assert scan("s3+http://archive/rna/other.bam", tmp_path, positive.genome) == 1
    assert "s3+http://archive/rna/other.bam: not found (HTTP 404)" in capsys.readouterr().err


def test_s3_unknown_key_is_refused_with_the_fix(
    www, positive, tmp_path, capsys, monkeypatch
) -> None:
    with s3_server(authenticated_after=3) as endpoint:  # bucket + 2 uploads unauthenticated
        upload(
            endpoint, "locked", {"t.bam": www / "tumour.bam", "t.bam.bai": www / "tumour.bam.bai"}
        )
        for name, value in (("AWS_ACCESS_KEY_ID", "nobody"), ("AWS_SECRET_ACCESS_KEY", "x"),
                            ("AWS_DEFAULT_REGION", "us-east-1"), ("HTS_S3_HOST", endpoint),
                            ("HTS_S3_ADDRESS_STYLE", "path")):  # fmt: skip
            monkeypatch.setenv(name, value)
        assert scan("s3+http://locked/t.bam", tmp_path, positive.genome) == 1
    err = capsys.readouterr().err
    assert "error: s3+http://locked/t.bam: access denied (HTTP 403). Set AWS_ACCESS_KEY_ID" in err
