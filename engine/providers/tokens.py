"""Counting a prompt's tokens the way the model's server counts them, for `max_prompt_tokens`.

Three sources, best first: the server's own tokenizer (llama.cpp's and vLLM's `/tokenize`),
an estimate scaled by what the server reported as `prompt_tokens` for earlier prompts of the
same model, and the plain estimate. The estimate is deliberately stingy (each digit,
punctuation mark and non-Latin character a token, a token per four letters of a word), since
four characters a token undercounts digits, code and most scripts; a margin stays on top.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections.abc import Iterable
from typing import Any

from .base import ChatMessage

_PIECES = re.compile(r"[A-Za-z]+|\S")
TEMPLATE_TOKENS = 4  # what a chat template adds around each message
_ratios: dict[tuple[str, str], float] = {}
_lock = threading.Lock()


def estimate(text: str | None) -> int:
    """A generous guess at the tokens of `text` in a typical model's tokenizer."""
    if not text:
        return 0
    count = 0
    for piece in _PIECES.findall(text):
        count += math.ceil(len(piece) / 4) if piece[0].isascii() and piece[0].isalpha() else 1
    return count


def message_texts(message: ChatMessage) -> list[str]:
    return [message.content or ""] + [c.name + c.arguments for c in message.tool_calls]


def margin(cap: int) -> int:
    """Tokens left unused under a cap: templates and tokenizers vary a little."""
    return max(8, math.ceil(cap * 0.03))


class PromptCounter:
    """Counts prompts for one model of one provider."""

    def __init__(self, provider: Any, model: str) -> None:
        self.provider = provider
        self.model = model
        self.key = (str(getattr(provider, "name", "")), model)

    @property
    def ratio(self) -> float:
        return _ratios.get(self.key, 1.0)

    def unit(self, messages: Iterable[ChatMessage]) -> int:
        """Estimated tokens of some messages, scaled by what this server taught."""
        raw = sum(sum(estimate(t) for t in message_texts(m)) + TEMPLATE_TOKENS for m in messages)
        return math.ceil(raw * self.ratio)

    def text(self, text: str) -> int:
        return math.ceil(estimate(text) * self.ratio)

    def exact(self, messages: list[ChatMessage], tools: list[dict[str, Any]]) -> int | None:
        """The server's own count of the whole prompt, when it can tokenize; else None."""
        count_tokens = getattr(self.provider, "count_tokens", None)
        if count_tokens is None:
            return None
        texts = [t for m in messages for t in message_texts(m)]
        if tools:
            texts.append(json.dumps(tools))
        counted = count_tokens(self.model, "\n".join(texts))
        if counted is None:
            return None
        return math.ceil((counted + TEMPLATE_TOKENS * len(messages)) * max(1.0, self.ratio))

    def learn(self, sent: int, reported: int) -> None:
        """The server counted `reported` tokens for a prompt counted here as `sent`."""
        if sent <= 0 or reported <= 0:
            return
        observed = min(4.0, max(0.8, reported / sent * self.ratio))
        with _lock:
            # Quick to grow (never undercount twice), slow to shrink.
            _ratios[self.key] = max(observed, 0.9 * self.ratio + 0.1 * observed)


def forget() -> None:
    """Drop what was learned (tests)."""
    with _lock:
        _ratios.clear()
