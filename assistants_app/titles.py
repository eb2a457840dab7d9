"""Thread titles people can read: a short line made from the first message."""

from __future__ import annotations

import re

TITLE_CHARS = 60  # about what the sidebar and one heading line show

_FENCED = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n(.*?)(?:^ {0,3}\1[`~]*[ \t]*$|\Z)", re.M | re.S)
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_LINE_MARK = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d{1,9}[.)]\s+)", re.M)
_EMPHASIS = re.compile(r"(\*\*|__|\*|_|~~|`+)(?=\S)(.+?)(?<=\S)\1")
_MARKS = re.compile(r"[`*#>]+")


def plain_text(markdown: str) -> str:
    """The words of a Markdown message on one line: code fences, marks and links' targets go."""
    text = markdown.replace("\r\n", "\n")
    without_code = _FENCED.sub(" ", text)
    if not without_code.strip():  # a message that is only code: the code's own words
        return " ".join(_FENCED.sub(r"\2", text).split())
    text = without_code
    text = _IMAGE.sub(r"\1", text)
    text = _LINK.sub(r"\1", text)
    text = _LINE_MARK.sub("", text)
    for _ in range(3):  # nested emphasis (**_a_**) unwraps one level a pass
        text = _EMPHASIS.sub(r"\2", text)
    text = _MARKS.sub("", text)
    return " ".join(text.split())


def short_title(markdown: str, limit: int = TITLE_CHARS) -> str:
    """At most `limit` characters, cut between words with an ellipsis when it is longer."""
    # A title needs only the start; the patterns below must never see a 256,000-character
    # message (their lazy groups scan on to the end for every opening mark).
    text = plain_text(markdown[: limit * 40])
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut and not text[limit - 1].isspace():
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.-\u2013\u2014") + "…"
