"""Tokens, search terms and chunks, with no download and no model.

- `count_tokens` approximates OpenAI's tokenizers (cl100k/o200k) closely enough to size chunks:
  a word of up to six letters or digits is one token, longer words one more per six characters,
  and every other non-space character (punctuation, symbols) is one token. On English prose it
  lands within about 10% of cl100k.
- `terms` is the one normaliser used to index chunks, to parse queries and to score results
  (lower case, accents folded, common English words dropped, a light suffix stemmer), so SQLite,
  PostgreSQL and the scorer in Python always agree on what a term is.
- `chunk` cuts text into windows of `max_tokens` that overlap by `overlap_tokens`, as the API's
  static chunking strategy does, and never cuts inside a word.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass

_PIECE = re.compile(r"[^\W_]+|[^\w\s]|_", re.UNICODE)
_TERM = re.compile(r"[^\W_]+", re.UNICODE)

# Words too common to say anything about a chunk (they would match nearly every one).
STOPWORDS = frozenset(
    """a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its
    itself just me more most my myself no nor not now of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()  # noqa: SIM905 - easier to read as prose
)


def count_tokens(text: str) -> int:
    return sum(_piece_tokens(match.group()) for match in _PIECE.finditer(text))


def _piece_tokens(piece: str) -> int:
    return 1 + (len(piece) - 1) // 6


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light English stemmer (plurals, -ing, -ed): "policies" → "polici" like
    "policy" → "polici", "refunds" → "refund", "running" → "run"."""
    if len(word) <= 3 or word.isdigit():
        return word
    verbal = False
    for suffix, ending in (("ies", "i"), ("sses", "ss"), ("ing", ""), ("edly", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: len(word) - len(suffix)] + ending
            verbal = not ending
            break
    else:
        if word.endswith("s") and not word.endswith(("ss", "us", "is")):
            word = word[:-1]
    if verbal and len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
        word = word[:-1]  # "running" → "runn" → "run"; "stopped" → "stopp" → "stop"
    if word.endswith("y") and len(word) > 3:
        word = word[:-1] + "i"
    return word


@functools.lru_cache(maxsize=200_000)
def _term(word: str) -> str:
    """The term of one word ("" for a stop word); cached: vocabularies are small."""
    folded = _fold(word)
    return "" if not folded or folded in STOPWORDS else stem(folded)


def terms(text: str) -> list[str]:
    """The searchable terms of `text`, in order (repeats kept: they count)."""
    return [term for term in map(_term, _TERM.findall(text)) if term]


@dataclass(frozen=True)
class Chunk:
    text: str
    tokens: int
    start: int  # character offsets in the extracted text
    end: int


def chunk(text: str, *, max_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Windows of at most `max_tokens`, each starting `max_tokens - overlap_tokens` tokens
    after the previous one; whitespace between pieces is kept as it was."""
    spans = [match.span() for match in _PIECE.finditer(text)]
    if not spans:
        return []
    step = max(1, max_tokens - overlap_tokens)
    # offsets[i]: tokens before piece i (offsets[-1]: all of them), so windows are found by
    # bisection instead of walking piece by piece.
    offsets = list(
        itertools.accumulate((1 + (end - start - 1) // 6 for start, end in spans), initial=0)
    )
    chunks: list[Chunk] = []
    first, count = 0, len(spans)
    while first < count:
        last = bisect.bisect_right(offsets, offsets[first] + max_tokens, lo=first + 1) - 1
        last = max(last, first + 1)  # a single piece longer than the window still goes in
        start, end = spans[first][0], spans[last - 1][1]
        size = max(offsets[last] - offsets[first], 1)
        chunks.append(Chunk(text=text[start:end], tokens=size, start=start, end=end))
        if last >= count:
            break
        first = max(first + 1, bisect.bisect_left(offsets, offsets[first] + step, lo=first + 1))
    return chunks
