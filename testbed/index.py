"""The testbed's search index: a deterministic corpus searched the way a search engine does.

Without it every query the testbed is asked finds results, so a rare term and a withheld one
look different only when a rule says so — the world in which "empty" would mean "censored".
With it, a rare string finds nothing by itself, a common word finds many documents, and the
rules censor on top of what exists.

The corpus: ``documents`` documents generated from a seed. Each holds 30–60 words drawn from
``data/vocabulary.txt`` (everyday words, weighted by rank as in a Zipf-Mandelbrot law, so 天气 is in
many documents and a tail word in a few) and from pseudo-words made of two or three common
characters; every document has 的, the commonest Chinese word, which Citizen Lab's truisms
rely on. Each document has a source domain: open sites, ``zhihu.com`` (where the adapters'
soft-censorship truisms look) and the official sites of the allow-list.

The query language, modelled on what Baidu, Bing and the testbed adapters send:

- words separated by spaces must all match (AND);
- ``OR`` (or the personality's operator, Baidu's ``|``; none on Weibo and Bilibili, where it
  is a word like any other) between two operands matches either, and binds looser than AND;
  parentheses group; ``"..."`` is one word;
- ``site:domain`` keeps documents from that domain or its subdomains;
- a word matches a document that has it inside one of its words (substring, case-folded): a
  Chinese engine segments text, and a term inside a longer word is found, as in 天气 in
  天气预报. A query with nothing but operators finds nothing.

The result count is the number of matching documents times ``scale`` (each document stands
for many pages), drifting by up to ``drift`` (±2 %) from one asking to the next, as real
engines' estimates do; zero stays zero.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import quote

from testbed.pages import PAGE_SIZE, Page, PageKind, SyntheticItem
from testbed.rules import Action, Rule

__all__ = ["Document", "Index"]

_VOCABULARY = Path(__file__).parent / "data" / "vocabulary.txt"
#: The word every document has, the common half of the truisms.
COMMON_WORD = "的"
_OPEN_SOURCES = (
    "news.example.com",
    "forum.example.net",
    "blog.example.org",
    "wiki.example.io",
    "video.example.tv",
    "zhihu.com",
)
_TOKEN = re.compile(r'\(|\)|"[^"]*"|[^\s()"]+')


@dataclass(frozen=True, slots=True)
class Document:
    number: int
    source: str
    words: tuple[str, ...]

    def item(self, query: str) -> SyntheticItem:
        title = " ".join(self.words[:4])
        url = f"https://{self.source}/doc/{self.number}?q={quote(query)}"
        return SyntheticItem(title=title, url=url, source=self.source)


def _vocabulary() -> tuple[list[str], str]:
    lines = [line.strip() for line in _VOCABULARY.read_text(encoding="utf-8").splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    return lines[:-1], lines[-1]


@dataclass
class Index:
    """A corpus and its search; same seed, same corpus, same answers (but for the drift)."""

    allowlist: tuple[str, ...]
    documents: int = 4000
    seed: int = 0
    scale: int = 97
    drift: float = 0.02
    _asked: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _postings: dict[str, frozenset[int]] = field(default_factory=dict, init=False, repr=False)
    corpus: tuple[Document, ...] = field(init=False, repr=False)
    _words: dict[str, frozenset[int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.corpus, self._words = _corpus(self.allowlist, self.seed, self.documents)

    def search(self, query: str, operator: str | None = "OR") -> list[Document]:
        """The documents ``query`` finds, in corpus order."""
        found = _Evaluator(_TOKEN.findall(query), operator, self._documents_with).result()
        return [self.corpus[number] for number in sorted(found)]

    def page(self, query: str, rule: Rule | None, operator: str | None = "OR") -> Page:
        """What the platform shows for ``query``: what the index finds, then the rule's effect."""
        action = rule.action if rule is not None else None
        if action is Action.NOTICE or action is Action.ZERO_RESULTS:
            return Page(PageKind(action.value), query, 0, ())
        found = self.search(query, operator)
        if action is Action.SOFT:
            found = [doc for doc in found if _on(doc.source, self.allowlist)]
        elif action is Action.PARTIAL_NOTICE:
            found = found[::3]
        if not found and action is not Action.PARTIAL_NOTICE:
            # Nothing to show, rule or none (a soft rule over nothing official shows nothing).
            return Page(PageKind.ZERO_RESULTS, query, 0, ())
        kind = PageKind.RESULTS if action is None else PageKind(action.value)
        items = tuple(doc.item(query) for doc in found[:PAGE_SIZE])
        return Page(kind, query, self._count(query, len(found)), items)

    def _documents_with(self, token: str) -> frozenset[int]:
        if token not in self._postings:
            if token.startswith("site:"):
                domain = token.removeprefix("site:")
                hits = (doc.number for doc in self.corpus if _on(doc.source, (domain,)))
                self._postings[token] = frozenset(hits)
            else:
                self._postings[token] = self._containing(token.strip('"').casefold())
        return self._postings[token]

    def _containing(self, text: str) -> frozenset[int]:
        """The documents with ``text`` inside a word, or across words for a quoted phrase."""
        if not text:
            return frozenset()
        if " " not in text:
            # A scan of the distinct words, not of the documents: the same answer, far faster.
            found = [docs for word, docs in self._words.items() if text in word]
            return frozenset().union(*found)
        return frozenset(
            doc.number for doc in self.corpus if text in " ".join(doc.words).casefold()
        )

    def _count(self, query: str, matches: int) -> int:
        if matches == 0:
            return 0
        asked = self._asked[query] = self._asked.get(query, 0) + 1
        digest = hashlib.sha256(f"{self.seed}/{query}/{asked}".encode()).digest()
        wobble = (int.from_bytes(digest[:4], "big") / 2**32 * 2 - 1) * self.drift
        return max(1, round(matches * self.scale * (1 + wobble)))


@cache
def _corpus(
    allowlist: tuple[str, ...], seed: int, documents: int
) -> tuple[tuple[Document, ...], dict[str, frozenset[int]]]:
    """The documents (built once per process for each seed), and each case-folded word's."""
    words, characters = _vocabulary()
    dice = random.Random(f"censorprobe-index/{seed}")
    pseudo = [
        "".join(dice.choice(characters) for _ in range(dice.choice((2, 3)))) for _ in range(3000)
    ]
    lexicon = words + pseudo
    weights = [1 / (rank + 20) for rank in range(1, len(lexicon) + 1)]
    sources = _OPEN_SOURCES + allowlist
    corpus = tuple(
        Document(
            number=number,
            source=dice.choice(sources),
            words=(COMMON_WORD, *dice.choices(lexicon, weights, k=dice.randint(30, 60))),
        )
        for number in range(documents)
    )
    postings: dict[str, set[int]] = {}
    for doc in corpus:
        for word in doc.words:
            postings.setdefault(word.casefold(), set()).add(doc.number)
    return corpus, {word: frozenset(docs) for word, docs in postings.items()}


def _on(source: str, domains: Sequence[str]) -> bool:
    return any(source == domain or source.endswith(f".{domain}") for domain in domains)


class _Evaluator:
    """A token list as a set of documents (recursive descent: OR over AND groups).

    A group with no word in it (``()``, a lone operator) constrains nothing inside an AND and
    finds nothing on its own.
    """

    def __init__(
        self, tokens: list[str], operator: str | None, postings: Callable[[str], frozenset[int]]
    ) -> None:
        self.tokens, self.operator, self.postings = tokens, operator, postings
        self.at = 0

    def result(self) -> frozenset[int]:
        return self._either() or frozenset()

    def _either(self) -> frozenset[int] | None:
        result = self._all()
        while self.operator is not None and self._peek() == self.operator:
            self.at += 1
            right = self._all()
            if right is not None:
                result = right if result is None else result | right
        return result

    def _all(self) -> frozenset[int] | None:
        result: frozenset[int] | None = None
        while (token := self._peek()) is not None and token not in (self.operator, ")"):
            self.at += 1
            if token == "(":
                value = self._either()
                if self._peek() == ")":
                    self.at += 1
            else:
                value = self.postings(token)
            if value is not None:
                result = value if result is None else result & value
        return result

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None
