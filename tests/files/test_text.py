"""The token counter, the search-term normaliser and the chunker (engine.files.text)."""

from __future__ import annotations

from engine.files.text import chunk, count_tokens, terms


def test_token_counts_approximate_openai_tokenizers():
    assert count_tokens("") == 0
    assert count_tokens("Hello, world!") == 4  # Hello , world !
    assert count_tokens("internationalization") == 4  # long words cost more
    sentence = "The quick brown fox jumps over the lazy dog near the riverbank."
    assert 12 <= count_tokens(sentence) <= 16  # cl100k: 14


def test_terms_fold_case_accents_plurals_and_drop_stop_words():
    assert terms("The Refunds and the refund") == ["refund", "refund"]
    assert terms("Café NAÏVE") == ["cafe", "naive"]
    assert terms("policies policy") == ["polici", "polici"]
    assert terms("running runs stopped") == ["run", "run", "stop"]
    assert terms("user_id e-mail 2024") == ["user", "id", "e", "mail", "2024"]


def test_chunks_have_the_size_and_overlap_asked_for():
    text = " ".join(f"w{i}" for i in range(2000))  # 2000 one-token words
    chunks = chunk(text, max_tokens=800, overlap_tokens=400)
    assert [c.tokens for c in chunks] == [800, 800, 800, 800]
    assert [c.text.split()[0] for c in chunks] == ["w0", "w400", "w800", "w1200"]
    assert chunks[-1].text.split()[-1] == "w1999"
    assert text[chunks[1].start : chunks[1].end] == chunks[1].text


def test_chunks_keep_whitespace_and_never_split_words():
    text = "First line.\n\nSecond   paragraph with words."
    (only,) = chunk(text, max_tokens=100, overlap_tokens=0)
    assert only.text == text
    pieces = chunk("alpha beta gamma delta", max_tokens=2, overlap_tokens=0)
    assert [p.text for p in pieces] == ["alpha beta", "gamma delta"]
    assert [p.text for p in chunk("x" * 50 + " y", max_tokens=3, overlap_tokens=1)] == [
        "x" * 50,
        "y",
    ]
    assert chunk("   ", max_tokens=10, overlap_tokens=0) == []
