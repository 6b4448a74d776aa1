"""Scaffolding a new platform: an adapter module, its fingerprint file and starter fixtures.

``scaffold("newsite", root)`` writes, under a project ``root``:

- ``probes/platforms/newsite.py`` — an adapter with a module docstring to fill in,
  ``request``, ``parse_results`` for a simple results page, and four starter cases;
- ``probes/fingerprints/newsite.yaml`` — an empty fingerprint file with a commented example;
- ``tests/fixtures/newsite/`` — the starter pages those cases name and a ``SOURCES.md``.

The starter passes the whole contract kit as it is (``pytest --censorprobe-adapter newsite``;
``tests/test_scaffold.py`` runs it so): its selectors carry the adapter's name, so no other
site's page is read as one of its own. A newcomer then replaces the selectors, the pages and
the cases with the platform's own (``docs/add-a-platform.md``). No registry lookup, no
network: the caller says which names are taken.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from string import Template

__all__ = ["ScaffoldError", "Scaffolded", "check_name", "scaffold"]

_NAME = re.compile(r"[a-z][a-z0-9_]*")


class ScaffoldError(ValueError):
    """The name cannot be used, or something by that name is already there."""


@dataclass(frozen=True, slots=True)
class Scaffolded:
    """What :func:`scaffold` wrote."""

    module: Path
    fingerprints: Path
    fixtures: Path
    class_name: str

    @property
    def files(self) -> tuple[Path, ...]:
        return (self.module, self.fingerprints, *sorted(self.fixtures.iterdir()))


def check_name(name: str, taken: Iterable[str] = ()) -> None:
    """Raise :class:`ScaffoldError` unless ``name`` can be a new adapter's name."""
    if not _NAME.fullmatch(name) or keyword.iskeyword(name):
        raise ScaffoldError(
            f"{name!r} is not a valid adapter name: use lower-case letters, digits and _, "
            "starting with a letter (it becomes a module name)"
        )
    if name in set(taken):
        raise ScaffoldError(f"an adapter named {name!r} already exists")


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_") if part) + "Adapter"


def scaffold(name: str, root: Path, taken: Iterable[str] = ()) -> Scaffolded:
    """Write a new adapter's module, fingerprint file and fixture folder under ``root``."""
    check_name(name, taken)
    made = Scaffolded(
        module=root / "probes" / "platforms" / f"{name}.py",
        fingerprints=root / "probes" / "fingerprints" / f"{name}.yaml",
        fixtures=root / "tests" / "fixtures" / name,
        class_name=_class_name(name),
    )
    existing = [path for path in (made.module, made.fingerprints, made.fixtures) if path.exists()]
    if existing:
        raise ScaffoldError(f"{name!r} would overwrite {', '.join(map(str, existing))}")
    values = {"name": name, "class_name": made.class_name, "title": name.replace("_", " ").title()}
    made.module.parent.mkdir(parents=True, exist_ok=True)
    made.fingerprints.parent.mkdir(parents=True, exist_ok=True)
    made.fixtures.mkdir(parents=True)
    made.module.write_text(Template(_MODULE).substitute(values), encoding="utf-8")
    made.fingerprints.write_text(Template(_FINGERPRINTS).substitute(values), encoding="utf-8")
    for filename, template in _FIXTURES.items():
        page = Template(template).substitute(values)
        (made.fixtures / filename).write_text(page, encoding="utf-8")
    return made


_MODULE = '''\
"""$title: ``GET https://search.example.com/search?q=<query>`` (HTML) — the starter's guess.

Needs: nothing. (Name here any cookie or token the platform needs, list its environment
variable in ``env_vars`` and check it in ``check_ready``.)

Pacing: 0.5 request/s, no burst.

Reads (the starter's made-up page, replace with the platform's own): the count in
``div.$name-count[data-count]``, results ``ol.$name-results li`` (their link), the
no-results box ``div.$name-no-result``. Notices, captchas and login pages are fingerprints
in ``probes/fingerprints/$name.yaml``.

Silent censorship: none known, so an empty answer is visible. (If a published study shows
this platform hiding terms silently — no results, or only official sources — cite it here and
list the signals in ``silent_censorship``.)

Known limits: none known yet. (Say what this adapter cannot see.)
"""

from __future__ import annotations

import httpx
from selectolax.lexbor import LexborHTMLParser

from probes.contract import Adapter, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import ErrorKind, Item, Signal, Verdict

__all__ = ["$class_name"]


class $class_name(Adapter):
    name = "$name"
    version = "0.1"
    default_base_url = "https://search.example.com"
    pacing = Pacing(rate=0.5, burst=1)
    separator = " "
    max_query_length = None  # characters the platform reads of a query, if it cuts the rest
    #: The signals this platform is known to use silently (Signal.ZERO_RESULTS, Signal.SOFT),
    #: each with its source in the docstring. None known: an empty answer is visible.
    silent_censorship = frozenset[Signal]()
    cases = (
        Case("results.synthetic.html", Verdict.VISIBLE, count=1234),
        Case("no-results.synthetic.html", Verdict.VISIBLE, count=0),
        Case("captcha.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("results.synthetic.html", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=503),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/search", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        if tree.css_first("div.$name-no-result") is not None:
            return ResultPage(0)
        counter = tree.css_first("div.$name-count")
        if counter is None:
            return None  # not a results page of this platform
        items = []
        for node in tree.css("ol.$name-results li"):
            link = node.css_first("a")
            if link is None:
                continue
            url = link.attributes.get("href") or ""
            items.append(Item(title=link.text(strip=True), url=url, source=domain_of(url)))
        return ResultPage(int(counter.attributes.get("data-count") or 0), tuple(items))
'''

_FINGERPRINTS = """\
# $title (probes/platforms/$name.py). One row per recognisable page; the first match wins, and
# common.yaml is tried after these. Uncomment and adapt, then add a case whose fixture shows it.
#
# - name: $name.notice.full
#   type: contains          # full | prefix | contains | regexp
#   scope: body             # body | title | status | url | header:<Name>
#   pattern: 搜索结果未予显示
#   verdict: censored
#   signal: notice          # notice | partial_notice | zero_results | soft
"""

_FIXTURES = {
    "results.synthetic.html": """\
<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>Hello - $title</title></head>
<body>
<div class="$name-count" data-count="1234">About 1,234 results</div>
<ol class="$name-results">
  <li><a href="https://news.example.org/hello">Hello</a> news.example.org</li>
</ol>
</body></html>
""",
    "no-results.synthetic.html": """\
<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>Hello - $title</title></head>
<body>
<div class="$name-no-result">No results for Hello</div>
</body></html>
""",
    "captcha.synthetic.html": """\
<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>Security check (captcha) - $title</title></head>
<body>
<form class="captcha"><img src="/captcha.png"><input name="code"></form>
</body></html>
""",
    "SOURCES.md": """\
# $title fixtures

| file | what | source |
|---|---|---|
| `results.synthetic.html` | **synthetic** starter: a results page of the shape `probes/platforms/$name.py` reads | written by `censorprobe adapters new` |
| `no-results.synthetic.html` | **synthetic** starter: the no-results page | written by `censorprobe adapters new` |
| `captcha.synthetic.html` | **synthetic** starter: a captcha page (caught by `common.yaml`) | written by `censorprobe adapters new` |

Replace these with recorded pages of the platform; give each its source (URL, date, who
recorded it, licence), and name any page you edited or wrote `*.synthetic.*`.
""",
}
