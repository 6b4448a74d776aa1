"""A saved platform page made inert for the report: it can show itself, never fetch anything.

A platform's answer is hostile input (docs/architecture.md, "Every platform is hostile"): a
saved page may hold ``<link rel=preconnect>`` (which browsers act on whatever the page's
Content-Security-Policy says), images, scripts, frames, forms, ``srcset``, CSS ``url()``,
``<meta http-equiv=refresh>`` or ``<base>``. Three layers keep it from reaching out when a
reader opens its evidence:

1. The markup is rebuilt by an HTML5 sanitizer (ammonia, through ``nh3``) from an allow-list
   of text and layout elements with no attribute that can hold a URL (no ``href``, ``src``,
   ``srcset``, ``style``, ``action`` ...): scripts and styles go with their content, every
   other element not on the list is dropped and its text kept.
2. The result is the ``srcdoc`` of an ``<iframe sandbox="">`` (no scripts, no same origin,
   no forms, no navigation), with no referrer.
3. The frame's document opens with its own ``Content-Security-Policy: default-src 'none'``
   (besides the report's, which a ``srcdoc`` frame inherits).

The source of the page is also shown as text, escaped.
"""

from __future__ import annotations

import html

import nh3

__all__ = ["FRAME_POLICY", "inert_frame", "inert_markup"]

#: What the saved page's own document allows: nothing but inline styles of the report's.
FRAME_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

#: Elements kept: text, structure, lists, tables. None of them fetches anything by itself.
_TAGS = frozenset(
    {
        "a",
        "abbr",
        "article",
        "aside",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "i",
        "ins",
        "li",
        "main",
        "mark",
        "nav",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "section",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    }
)
#: Removed with everything inside them (not only the tags): code, styles, and what no reader
#: needs to see as text.
_DROPPED_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "title", "object", "svg", "math", "textarea"}
)
#: Attributes kept: none can hold a URL.
_ATTRIBUTES = {"*": {"class", "lang", "dir", "title"}, "td": {"colspan", "rowspan"}}
_ATTRIBUTES["th"] = _ATTRIBUTES["td"]


def inert_markup(page: str) -> str:
    """The page's text and layout elements, with no element or attribute that can fetch."""
    return nh3.clean(
        page,
        tags=set(_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(),
        link_rel=None,
        strip_comments=True,
    )


def inert_frame(page: str, title: str = "saved response") -> str:
    """A sandboxed ``<iframe srcdoc>`` showing :func:`inert_markup` of ``page``."""
    document = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{FRAME_POLICY}">'
        '<meta name="referrer" content="no-referrer">'
        "<style>body{font:13px/1.5 system-ui,sans-serif;margin:8px;color:#222}</style>"
        f"</head><body>{inert_markup(page)}</body></html>"
    )
    return (
        f'<iframe sandbox="" referrerpolicy="no-referrer" loading="lazy" '
        f'title="{html.escape(title, quote=True)}" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe>'
    )
