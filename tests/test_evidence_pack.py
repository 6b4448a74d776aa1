"""``censorprobe evidence pack``: a run's evidence as a WACZ, checked with Webrecorder's own tools
(the ``wacz`` validator and ``cdxj-indexer``)."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import surt as surt_library
from snapshot_maker import probe, write_snapshot
from support import cli, observations, only_run, run_on_testbed, write_list
from typer.testing import CliRunner
from warcio.archiveiterator import ArchiveIterator

from runners.cli import app
from snapshots.wacz import surt
from testbed import Action, Rule, RuleBook

RULES = RuleBook(
    (
        Rule(parts=("习近平",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.ZERO_RESULTS),
    )
)
TERMS = [("xi", "习近平"), ("bread", "面包"), ("june4", "六四")]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A real run on the testbed (probes, controls, confirmation probes) and its WACZ."""
    from testbed import TestbedConfig, serve_in_thread

    root = tmp_path_factory.mktemp("pack")
    with serve_in_thread(TestbedConfig(rules=RULES)) as testbed:
        run_on_testbed(
            write_list(root / "l.yaml", TERMS), testbed.url, root / "results", check=True
        )
    folder = only_run(root / "results")
    out = root / "run.wacz"
    ran = cli("evidence", "pack", folder.name, "-o", out, "--results", root / "results")
    assert ran.returncode == 0, ran.stderr
    assert f"wrote {out}" in ran.stdout
    return folder, out


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "wacz"), "validate", "-f", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wacz_package_validates_it(packed: tuple[Path, Path], tmp_path: Path) -> None:
    _, wacz = packed
    checked = _validate(wacz)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Version detected as 1.1.1" in checked.stdout
    assert "Validation succeeded" in checked.stdout
    # and the validator does fail: a member changed after packing no longer matches its hash
    tampered = tmp_path / "tampered.wacz"
    with zipfile.ZipFile(wacz) as source, zipfile.ZipFile(tampered, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "pages/pages.jsonl":
                data = data.replace(b"visible", b"VISIBLE")
            target.writestr(item, data)
    failed = _validate(tampered)
    assert failed.returncode == 1 and "does not match" in failed.stdout


def test_members_warc_and_datapackage(packed: tuple[Path, Path]) -> None:
    folder, wacz = packed
    name = f"archive/{folder.name}.warc.gz"
    with zipfile.ZipFile(wacz) as archive:
        members = {item.filename: item for item in archive.infolist()}
        assert set(members) == {
            name,
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
        }
        assert members[name].compress_type == zipfile.ZIP_STORED  # offsets stay seekable
        assert archive.read(name) == (folder / "evidence.warc.gz").read_bytes()
        package = json.loads(archive.read("datapackage.json"))
        assert package["wacz_version"] == "1.1.1" and package["software"].startswith("censorprobe")
        listed = {r["path"]: r for r in package["resources"]}
        assert set(listed) == set(members) - {"datapackage.json"}
        for path, resource in listed.items():
            data = archive.read(path)
            assert resource["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert resource["bytes"] == len(data)


def test_index_is_what_cdxj_indexer_writes(packed: tuple[Path, Path], tmp_path: Path) -> None:
    folder, wacz = packed
    warc = tmp_path / f"{folder.name}.warc.gz"
    with zipfile.ZipFile(wacz) as archive:
        warc.write_bytes(archive.read(f"archive/{folder.name}.warc.gz"))
        ours = archive.read("indexes/index.cdx").decode("utf-8").splitlines()
    theirs = subprocess.run(
        [str(BIN / "cdxj-indexer"), "--sort", str(warc)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.splitlines()
    assert ours == theirs
    assert ours == sorted(ours)
    responses = [o for o in observations(folder, controls=True) if o["evidence"]]
    confirmations = [
        p for o in observations(folder) for p in (o.get("confirmation") or {}).get("probes", [])
    ]
    assert confirmations, "the zero-results term was confirmed"
    assert len(ours) == len(responses) + len(confirmations)
    with warc.open("rb") as stream:
        for line in ours:
            fields = json.loads(line.split(" ", 2)[2])
            stream.seek(int(fields["offset"]))
            record = next(iter(ArchiveIterator(io.BytesIO(stream.read(int(fields["length"]))))))
            assert record.rec_type == "response"
            assert record.rec_headers.get_header("WARC-Target-URI") == fields["url"]


def test_pages_list_every_response_with_what_the_run_concluded(packed: tuple[Path, Path]) -> None:
    folder, wacz = packed
    with zipfile.ZipFile(wacz) as archive:
        header, *pages = [
            json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()
        ]
        indexed = {
            json.loads(line.split(" ", 2)[2])["url"]
            for line in archive.read("indexes/index.cdx").decode().splitlines()
        }
    assert header == {
        "format": "json-pages-1.0",
        "id": "pages",
        "title": f"censorprobe run {folder.name}",
    }
    assert len({page["id"] for page in pages}) == len(pages) == 12  # 3 probes, 2 confirmations
    assert {page["url"] for page in pages} == indexed  #   and 3 controls x 2 checks, 1 + 1 + 2
    titles = [page["title"] for page in pages]
    assert "习近平 on testbed: censored (notice)" in titles
    assert any(t.startswith("天气 on testbed: visible, control check") for t in titles)
    assert any("(confirmation, truism)" in t for t in titles)
    assert all(page["ts"].endswith("Z") for page in pages)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8123/search?q=%E4%B9%A0%E8%BF%91&page=1",
        "https://s.weibo.com/weibo?q=%23%E5%9B%9B%E9%80%9A%E6%A1%A5%23&Refer=top",
        "https://www.Bing.com:443/search?q=A+b&cc=cn&&setlang=zh-Hans",
        "http://example.com:8080/a/b/?z=1&a=2#fragment",
        "https://search.bilibili.com/all?keyword=%E5%85%AD%E5%9B%9B%2B&page=2",
        "https://zh.wikipedia.org/w/index.php?search=%E6%B3%95%E8%BD%AE%E5%8A%9F&ns0=1",
    ],
)
def test_surt_matches_the_surt_library(url: str) -> None:
    assert surt(url) == surt_library.surt(url)


def test_pack_refuses_what_it_cannot_pack(tmp_path: Path) -> None:
    results = tmp_path / "results"
    write_snapshot(results, "bare", "2026-10-01T08:00:00.000Z", [probe("bread", "visible")])
    app_runner = CliRunner()
    ran = app_runner.invoke(
        app,
        ["evidence", "pack", "bare", "-o", str(tmp_path / "x.wacz")] + ["--results", str(results)],
    )
    assert ran.exit_code == 1 and "no evidence.warc.gz" in ran.output
    missing = app_runner.invoke(app, ["evidence", "pack", "nope", "--results", str(results)])
    assert missing.exit_code == 1 and "no such run 'nope'" in missing.output
    assert not (tmp_path / "x.wacz").exists()
