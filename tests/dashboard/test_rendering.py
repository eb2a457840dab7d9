"""Markdown rendering of message text: raw HTML off, sanitised, code highlighted."""

from assistants_app.rendering import pretty_json, render_markdown


def test_markdown_basics():
    html = render_markdown("**bold** and *it*\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<em>it</em>" in html
    assert "<li>one</li>" in html


def test_raw_html_is_shown_as_text():
    html = render_markdown("Hello <script>alert(1)</script> <img src=x onerror=alert(1)>")
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_javascript_links_are_not_links():
    html = render_markdown("[click](javascript:alert(1)) [ok](https://example.com)")
    assert "javascript:" not in html.split("[click]")[0]
    assert 'href="javascript' not in html
    assert 'href="https://example.com"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_code_blocks_are_highlighted_and_escaped():
    html = render_markdown('```python\nprint("<b>")\n```')
    assert '<code class="language-python">' in html
    assert '<span class="nb">print</span>' in html
    assert "&lt;b&gt;" in html and "<b>" not in html


def test_unknown_language_still_renders():
    html = render_markdown("```nosuchlang\nx < y\n```")
    assert "x &lt; y" in html


def test_tables():
    html = render_markdown("| a | b |\n|---|:-:|\n| 1 | 2 |")
    assert "<table>" in html and "<td" in html


def test_pretty_json():
    assert pretty_json('{"a":1}') == '{\n  "a": 1\n}'
    assert pretty_json("not json") == "not json"
    assert pretty_json(None) == ""
