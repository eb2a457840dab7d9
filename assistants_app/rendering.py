"""Message text as safe HTML: Markdown with raw HTML off, code highlighted, then sanitised.

Model output is untrusted input. markdown-it-py never passes raw HTML through (html=False),
and nh3 then removes anything outside a small allow-list, so even a parser bug cannot let a
<script>, an event handler or a javascript: link reach the page.
"""

from __future__ import annotations

import json
from functools import cache

import nh3
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
    "hr", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "code": {"class"},
    "div": {"class"},
    "pre": {"class"},
    "span": {"class"},
    "td": {"style"},
    "th": {"style"},
    "ol": {"start"},
}
_FORMATTER = HtmlFormatter(nowrap=True)


def _highlight(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language.strip() or "text")
    except ClassNotFound:
        lexer = get_lexer_by_name("text")
    # markdown-it wraps what we return in <pre><code class="language-…">.
    return highlight(code, lexer, _FORMATTER)


@cache
def _parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight})
    return parser.enable(["table", "strikethrough"])


def render_markdown(text: str) -> str:
    """Sanitised HTML for a message's Markdown text."""
    html = _parser().render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        filter_style_properties={"text-align"},
    )


def pretty_json(text: str | None) -> str:
    """Function arguments or outputs indented for reading; text that is not JSON as it is."""
    if not text:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except (TypeError, ValueError):
        return text


def highlight_css() -> str:
    return HtmlFormatter(style="default").get_style_defs(".markdown pre")
