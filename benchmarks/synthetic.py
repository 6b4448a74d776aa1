"""Synthetic snapshots in the documented format, written fast from template strings.

Lines look like the runner's (same fields, same order, five items on a visible answer, a
notice on a censored one), but are produced with ``%`` formatting instead of ``json.dumps``
so a million lines take seconds. Which verdict a key gets is a pure function of its number
and the epoch, so two epochs differ in a known, reproducible way.
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["write_snapshot", "verdict_of"]

_ITEM = (
    '{"title":"词%(i)d — result %(n)d","url":"https://news.example.com/%(i)d/%(n)d?q=%%E8%%AF%%8D",'
    '"source":"news.example.com"}'
)
_ITEMS = ",".join(_ITEM.replace("%(n)d", str(n)) for n in range(5))
_HEAD = (
    '{"schema":"censorprobe.observation/1","run_id":"%(run)s","key":"bench/t%(i)d/original/p%(p)d/'
    '%(vantage)s","role":"probe","term":{"id":"t%(i)d","text":"词%(i)d","parts":["词%(i)d"],'
    '"list":"bench","category":"c%(c)d","variant":"original"},"query":"词%(i)d","platform":"p%(p)d",'
    '"adapter_version":"1.0","vantage":"%(vantage)s","started_at":"%(at)s","elapsed_ms":12,'
    '"attempts":1,"request":{"method":"GET","url":"http://127.0.0.1:8080/search?q=%%E8%%AF%%8D%(i)d",'
    '"status":%(status)s},'
)
_TAIL = (
    '"controls":{"opening":1,"closing":2},"evidence":{"sha256":'
    '"22a3582a3c508178da225b794ef6a19b4983aa03483b4081c4ce9b4ecf949b47","offset":%(i)d,'
    '"length":1290}}\n'
)
_BODIES = {
    "visible": '"verdict":"visible","signal":null,"error":null,"result_count":%(count)d,"items":['
    + _ITEMS
    + '],"notice":null,"fingerprint":null,',
    "notice": '"verdict":"censored","signal":"notice","error":null,"result_count":null,"items":[],'
    '"notice":"根据相关法律法规和政策，“词%(i)d”搜索结果未予显示。","fingerprint":"bench.notice.full",',
    "partial_notice": '"verdict":"censored","signal":"partial_notice","error":null,'
    '"result_count":%(count)d,"items":['
    + _ITEMS
    + '],"notice":"根据相关法律法规和政策，部分搜索结果未予显示。",'
    '"fingerprint":"bench.notice.partial",',
    "zero_results": '"verdict":"censored","signal":"zero_results","error":null,"result_count":0,'
    '"items":[],"notice":null,"fingerprint":null,',
    "timeout": '"verdict":"error","signal":null,"error":{"kind":"timeout","detail":"read timed out"},'
    '"result_count":null,"items":[],"notice":null,"fingerprint":null,',
}
TEMPLATES = {name: _HEAD + body + _TAIL for name, body in _BODIES.items()}


def verdict_of(i: int, epoch: int) -> str:
    """The state of key ``i`` at ``epoch``: about 80 % visible, 15 % censored, 3 % errors.

    Roughly 2 % of the keys change between consecutive epochs.
    """
    bucket = ((i * 2654435761) % 2**32 >> 8) % 100  # Knuth's multiplicative hash
    if i % 50 == 7:
        bucket = (bucket + epoch * 37) % 100
    if bucket < 80:
        return "visible"
    if bucket < 90:
        return "notice"
    if bucket < 94:
        return "partial_notice"
    if bucket < 97:
        return "zero_results"
    return "timeout"


def write_snapshot(
    results: Path,
    run_id: str,
    keys: range,
    epoch: int,
    started_at: str,
    *,
    vantage: str = "local",
) -> Path:
    """Write ``results/run_id`` with one probe observation per key number in ``keys``."""
    folder = results / run_id
    folder.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with (folder / "observations.jsonl").open("w", encoding="utf-8") as stream:
        chunk: list[str] = []
        for i in keys:
            state = verdict_of(i, epoch)
            counts[state] = counts.get(state, 0) + 1
            values = {
                "run": run_id,
                "i": i,
                "p": i % 7,
                "c": i % 5,
                "vantage": vantage,
                "at": started_at,
                "status": "null" if state == "timeout" else "200",
                # Every 97th key's result count moves by a factor of three between epochs.
                "count": 1000 + i * (3 if epoch % 2 == 0 and i % 97 == 0 else 1),
            }
            chunk.append(TEMPLATES[state] % values)
            if len(chunk) >= 20000:
                stream.write("".join(chunk))
                chunk.clear()
        stream.write("".join(chunk))
    manifest = {
        "schema": "censorprobe.manifest/1",
        "run_id": run_id,
        "tool": {"name": "censorprobe", "version": "bench"},
        "vantage": vantage,
        "started_at": started_at,
        "ended_at": started_at,
        "status": "complete",
        "counts": {"bench": counts},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
