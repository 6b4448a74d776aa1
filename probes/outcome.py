"""What one probe found: a verdict with its signal or error kind, and what the page showed."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

__all__ = [
    "Confidence",
    "ErrorKind",
    "Item",
    "Outcome",
    "RETRYABLE_ERRORS",
    "SILENT_SIGNALS",
    "Signal",
    "Verdict",
]


class Verdict(StrEnum):
    VISIBLE = "visible"
    CENSORED = "censored"
    ERROR = "error"


class Signal(StrEnum):
    """How a platform hides a term (docs/architecture.md, "Verdicts")."""

    NOTICE = "notice"
    PARTIAL_NOTICE = "partial_notice"
    ZERO_RESULTS = "zero_results"
    SOFT = "soft"


#: Signals a platform gives without saying so: nothing found, or only official sources. Alone
#: they cannot tell a withheld term from a rare one, so they are only ``suspected`` until a
#: truism confirms them (docs/architecture.md, "Verdicts").
SILENT_SIGNALS = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})


class Confidence(StrEnum):
    """How sure a ``censored`` verdict is.

    ``confirmed``: the platform said so (a notice or partial notice), or a truism showed that
    results exist for any text but this one. ``suspected``: a silent signal nobody confirmed.
    """

    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"


class ErrorKind(StrEnum):
    """Why no conclusion can be drawn. An error is never censorship."""

    TIMEOUT = "timeout"
    NETWORK = "network"
    HTTP_STATUS = "http_status"
    RATE_LIMITED = "rate_limited"
    CAPTCHA = "captcha"
    LOGIN_WALL = "login_wall"
    PARSE = "parse"
    CONTROLS_FAILED = "controls_failed"
    #: The body passed the size cap (``max_body_bytes``, counted after decoding).
    TOO_LARGE = "too_large"
    #: A redirect the runner does not follow: to another host, from https to http, or too many.
    REDIRECT = "redirect"


#: Errors worth another attempt: transient transport trouble (a whole exchange past its
#: deadline is a ``timeout``) and anti-bot interstitials. A body too large or a redirect
#: elsewhere would come back the same, so they are not retried.
RETRYABLE_ERRORS = frozenset(
    {
        ErrorKind.TIMEOUT,
        ErrorKind.NETWORK,
        ErrorKind.HTTP_STATUS,
        ErrorKind.RATE_LIMITED,
        ErrorKind.CAPTCHA,
        ErrorKind.LOGIN_WALL,
    }
)


@dataclass(frozen=True, slots=True)
class Item:
    """One search result as the platform listed it."""

    title: str
    url: str
    source: str = ""

    def to_json(self) -> dict[str, str]:
        return {"title": self.title, "url": self.url, "source": self.source}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The classification of one response (or of its absence).

    Build one with :meth:`visible`, :meth:`censored` or :meth:`failed`; those keep the
    invariants (a censored outcome has a signal and a confidence, an error outcome has a kind,
    only a censored outcome has a confidence).
    """

    verdict: Verdict
    signal: Signal | None = None
    error: ErrorKind | None = None
    detail: str | None = None
    result_count: int | None = None
    items: tuple[Item, ...] = field(default=())
    notice: str | None = None
    fingerprint: str | None = None
    retry_after: float | None = None
    confidence: Confidence | None = None

    @classmethod
    def visible(
        cls,
        result_count: int | None,
        items: tuple[Item, ...] = (),
        *,
        fingerprint: str | None = None,
    ) -> Outcome:
        return cls(Verdict.VISIBLE, result_count=result_count, items=items, fingerprint=fingerprint)

    @classmethod
    def censored(
        cls,
        signal: Signal,
        *,
        notice: str | None = None,
        result_count: int | None = None,
        items: tuple[Item, ...] = (),
        fingerprint: str | None = None,
        confidence: Confidence | None = None,
    ) -> Outcome:
        """A censored outcome; its confidence defaults to what the signal alone supports."""
        if confidence is None:
            silent = signal in SILENT_SIGNALS
            confidence = Confidence.SUSPECTED if silent else Confidence.CONFIRMED
        return cls(
            Verdict.CENSORED,
            signal=signal,
            notice=notice,
            result_count=result_count,
            items=items,
            fingerprint=fingerprint,
            confidence=confidence,
        )

    @classmethod
    def failed(
        cls,
        kind: ErrorKind,
        detail: str | None = None,
        *,
        fingerprint: str | None = None,
        retry_after: float | None = None,
    ) -> Outcome:
        return cls(
            Verdict.ERROR,
            error=kind,
            detail=detail,
            fingerprint=fingerprint,
            retry_after=retry_after,
        )

    @property
    def retryable(self) -> bool:
        return self.error in RETRYABLE_ERRORS

    def demoted(self, kind: ErrorKind, detail: str) -> Outcome:
        """This outcome turned into an error, keeping what the page showed."""
        return replace(
            self, verdict=Verdict.ERROR, signal=None, error=kind, detail=detail, confidence=None
        )

    def confirmed(self) -> Outcome:
        """This censored outcome, its silent signal confirmed (by a truism)."""
        if self.verdict is not Verdict.CENSORED:
            raise ValueError(f"only a censored outcome can be confirmed, not a {self.verdict} one")
        return replace(self, confidence=Confidence.CONFIRMED)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "signal": self.signal.value if self.signal else None,
            "error": {"kind": self.error.value, "detail": self.detail} if self.error else None,
            "result_count": self.result_count,
            "items": [item.to_json() for item in self.items],
            "notice": self.notice,
            "fingerprint": self.fingerprint,
            "confidence": self.confidence.value if self.confidence else None,
        }
