"""Run profiles: validation errors name file, line and field; a profile runs and keeps N."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from support import write_list
from typer.testing import CliRunner

from runners.cli.schedule import run_profile_command
from runners.scheduling.profiles import (
    ProfileInvalid,
    apply_retention,
    load_profile,
    parse_cadence,
    profile_runs,
    run_profile,
    to_run_config,
)


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(run_profile_command)  # registered as `run-profile` by runners/cli
    return app


GOOD = """name: p1
lists: [list.yaml]
platforms: [testbed]
base_urls: {testbed: "URL"}
pacing: {rate: 0, concurrency: 2}
vantage: {name: here, headers: headers.txt}
cadence: 6h
output: out
retention: {keep_last: 2}
"""


def _profile(tmp_path: Path, text: str, url: str = "http://127.0.0.1:9") -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(text.replace("URL", url), encoding="utf-8")
    return path


def test_profile_to_run_config_resolves_paths_and_reads_headers(tmp_path: Path) -> None:
    (tmp_path / "headers.txt").write_text("# vantage\nCookie: a=b\n", encoding="utf-8")
    profile = load_profile(_profile(tmp_path, GOOD))
    config = to_run_config(profile)
    assert config.lists == [(tmp_path / "list.yaml").resolve()]
    assert config.vantage == "here" and config.rate == 0 and config.concurrency == 2
    assert config.headers == {"Cookie": "a=b"}
    assert profile.output_dir == (tmp_path / "out").resolve()
    assert profile.schedule.interval == 6 * 3600


@pytest.mark.parametrize(
    ("change", "line", "field", "words"),
    [
        (("cadence: 6h", "cadence: often"), 7, "cadence", "neither an interval"),
        (("cadence: 6h", "cadence: '61 * * * *'"), 7, "cadence", "bad cron"),
        (
            ("pacing: {rate: 0, concurrency: 2}", "pacing: {rate: 0, concurency: 2}"),
            5,
            "pacing.concurency",
            "unknown field",
        ),
        (
            ("vantage: {name: here, headers: headers.txt}", "vantage: {name: 'a b'}"),
            6,
            "vantage.name",
            "pattern",
        ),
        (
            ("retention: {keep_last: 2}", "retention: {keep_last: 0}"),
            9,
            "retention.keep_last",
            "greater than",
        ),
        (("platforms: [testbed]\n", ""), 1, "platforms", "required"),
        (
            ("vantage: {name: here, headers: headers.txt}", "vantage: {proxy: ftp://x}"),
            6,
            "vantage.proxy",
            "proxy URL",
        ),
    ],
)
def test_invalid_profiles_name_file_line_field(
    tmp_path: Path, change: tuple[str, str], line: int, field: str, words: str
) -> None:
    path = _profile(tmp_path, GOOD.replace(*change))
    with pytest.raises(ProfileInvalid) as caught:
        load_profile(path)
    (error,) = caught.value.errors
    assert (error.path, error.line, error.field) == (str(path), line, field)
    assert words in error.message
    assert str(error).startswith(f"{path}:{line}: field '{field}'")


def test_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    path = _profile(tmp_path, GOOD.replace("output: out", "output: [out"))
    with pytest.raises(ProfileInvalid) as caught:
        load_profile(path)
    assert caught.value.errors[0].line >= 8
    assert "not valid YAML" in str(caught.value)


def test_cadence_forms() -> None:
    assert parse_cadence("30m").interval == 1800
    assert parse_cadence("1s").interval == 1
    assert parse_cadence("0 */6 * * *").cron == "0 */6 * * *"


def test_run_profile_writes_prefixed_snapshots_and_applies_retention(
    start_testbed, tmp_path: Path
) -> None:
    testbed = start_testbed()
    write_list(tmp_path / "list.yaml", [("a", "词语一"), ("b", "词语二")])
    (tmp_path / "headers.txt").write_text("X-Test: 1\n", encoding="utf-8")
    path = _profile(tmp_path, GOOD, testbed.url)
    ids = [run_profile(path).run_id for _ in range(3)]
    assert all(run_id.startswith("p1-") for run_id in ids)
    runs = profile_runs(load_profile(path))
    assert [folder.name for folder, _ in runs] == ids[1:]  # keep_last: 2
    assert all(manifest["status"] == "complete" for _, manifest in runs)


def test_retention_never_deletes_unfinished_runs(tmp_path: Path) -> None:
    path = _profile(tmp_path, GOOD)
    profile = load_profile(path)
    for number, status in enumerate(["interrupted", "complete", "running", "complete", "complete"]):
        folder = profile.output_dir / f"p1-2026110{number}T000000Z-000000"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(
            f'{{"status": "{status}", "started_at": "2026-11-0{number}T00:00:00Z",'
            ' "profile": "p1"}'
        )
    deleted = apply_retention(profile)
    assert [folder.name[:12] for folder in deleted] == ["p1-20261101T"]
    left = {folder.name[:12]: m["status"] for folder, m in profile_runs(profile)}
    assert left == {
        "p1-20261100T": "interrupted",
        "p1-20261102T": "running",
        "p1-20261103T": "complete",
        "p1-20261104T": "complete",
    }


def test_cli_run_profile_reports_profile_errors(tmp_path: Path) -> None:
    path = _profile(tmp_path, GOOD.replace("cadence: 6h", "cadense: 6h"))
    result = CliRunner().invoke(_app(), [str(path)])
    assert result.exit_code == 1
    assert "field 'cadense': unknown field" in result.output
    assert "field 'cadence': required field is missing" in result.output


def test_retention_only_touches_its_own_profile(start_testbed, tmp_path: Path) -> None:
    """Profiles `cn` and `cn-core` share one folder: `cn`'s keep_last never sees `cn-core`."""
    testbed = start_testbed()
    write_list(tmp_path / "list.yaml", [("a", "词语一")])
    (tmp_path / "headers.txt").write_text("X-Test: 1\n", encoding="utf-8")
    paths = {}
    for name in ("cn", "cn-core"):
        text = GOOD.replace("name: p1", f"name: {name}").replace("keep_last: 2", "keep_last: 1")
        paths[name] = tmp_path / f"{name}.yaml"
        paths[name].write_text(text.replace("URL", testbed.url), encoding="utf-8")
    # A snapshot named like a `cn` run that no profile wrote (no `profile` in its manifest).
    stranger = tmp_path / "out" / "cn-20200101T000000Z-abcdef"
    stranger.mkdir(parents=True)
    (stranger / "manifest.json").write_text('{"status": "complete"}', encoding="utf-8")
    core = [run_profile(paths["cn-core"]).run_id for _ in range(2)]
    cn = [run_profile(paths["cn"]).run_id for _ in range(3)]
    left = {folder.name for folder in (tmp_path / "out").iterdir() if folder.is_dir()}
    assert left == {core[-1], cn[-1], stranger.name}
    for name, ids in (("cn", cn), ("cn-core", core)):
        runs = profile_runs(load_profile(paths[name]))
        assert [folder.name for folder, _ in runs] == ids[-1:]
        assert runs[0][1]["profile"] == name
