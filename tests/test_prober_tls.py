"""HTTPS, as every real platform speaks it: the testbed over TLS on loopback, certificates
made by trustme. The certificate is verified (an unknown issuer is a network error, never
censorship), and the CA bundle can be the user's own (SSL_CERT_FILE), as in httpx."""

from __future__ import annotations

import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import manifest, observations, only_run, run_on_testbed, write_list

from testbed import TestbedConfig as Config
from testbed.server import RunningTestbed, serve_in_thread

trustme = pytest.importorskip("trustme", reason="the TLS test needs trustme (pip install trustme)")


@pytest.fixture
def tls_testbed(tmp_path: Path) -> Iterator[tuple[RunningTestbed, Path]]:
    """A testbed serving https on 127.0.0.1 with a certificate of a fresh CA; the CA's PEM."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    with serve_in_thread(Config(), tls=server) as testbed:
        yield testbed, pem


def test_a_platform_over_https_is_probed_with_the_users_ca_bundle(
    tls_testbed: tuple[RunningTestbed, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    testbed, pem = tls_testbed
    assert testbed.url.startswith("https://127.0.0.1:")
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    keyword_list = write_list(tmp_path / "l.yaml", [("a", "词语一"), ("b", "词语二")])
    result = run_on_testbed(keyword_list, testbed.url, tmp_path / "r")
    assert result.returncode == 0, result.stderr
    folder = only_run(tmp_path / "r")
    assert {o["verdict"] for o in observations(folder)} == {"visible"}
    assert all(o["request"]["url"].startswith("https://") for o in observations(folder))
    assert manifest(folder)["status"] == "complete"


def test_a_certificate_of_an_unknown_issuer_is_an_error_never_censorship(
    tls_testbed: tuple[RunningTestbed, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    testbed, _ = tls_testbed
    for name in ("SSL_CERT_FILE", "SSL_CERT_DIR"):
        monkeypatch.delenv(name, raising=False)
    assert "SSL_CERT_FILE" not in os.environ
    keyword_list = write_list(tmp_path / "l.yaml", [("a", "词语一")])
    result = run_on_testbed(keyword_list, testbed.url, tmp_path / "r", "--max-attempts", "1")
    assert result.returncode == 3, result.stderr
    assert "no answer from" in result.stderr
    rows = observations(only_run(tmp_path / "r"), controls=True)
    assert rows and {o["verdict"] for o in rows} == {"error"}
    assert {o["error"]["kind"] for o in rows} == {"network"}
    assert all("certificate" in o["error"]["detail"].lower() for o in rows)
    assert testbed.log == []  # the handshake failed: not one request reached the platform
