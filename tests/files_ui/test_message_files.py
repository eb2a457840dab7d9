"""message_files: annotations become links safely, whatever the model or the backend sent."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assistants_app.message_files import annotated_html, message_files
from assistants_app.models import Connection, ThreadRecord
from assistants_app.services.types import Message, Text


@pytest.fixture
def thread(owner):
    return ThreadRecord.objects.create(
        connection=Connection.objects.default(),
        thread_id="thread_1",
        owner=owner,
        assistant_id="asst_1",
    )


def _text(value: str, annotations: list[dict]) -> Text:
    return Text.model_validate({"value": value, "annotations": annotations})


def _citation(text: str, marker: str, file_id: str = "file-1", quote: str | None = None) -> dict:
    start = text.index(marker)
    return {
        "type": "file_citation",
        "text": marker,
        "start_index": start,
        "end_index": start + len(marker),
        "file_citation": {"file_id": file_id, "quote": quote},
    }


def test_a_citation_becomes_the_file_name_linking_to_the_file(thread):
    value = 'From guide.md: "Press **start**."【0:0†guide.md】'
    text = _text(value, [_citation(value, "【0:0†guide.md】", quote="Press start.")])
    html, sources = annotated_html(text.value, text.annotations, thread)
    url = reverse("thread_file", args=[thread.pk, "file-1"])
    assert html == (
        '<p>From guide.md: "Press <strong>start</strong>."'
        f'<a class="file-link" href="{url}">guide.md</a></p>\n'
    )
    assert sources == [
        {"file_id": "file-1", "name": "guide.md", "url": url, "quote": "Press start."}
    ]


def test_names_and_text_from_the_model_stay_inert(thread):
    marker = "【0:0†<img src=x onerror=alert(1)>.txt】"
    value = f"<script>alert(1)</script> see {marker}"
    text = _text(value, [_citation(value, marker)])
    html, _ = annotated_html(text.value, text.annotations, thread)
    assert "<script" not in html and "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.txt</a>" in html


def test_a_sandbox_link_points_at_the_dashboard(thread):
    value = "Files: [summary.txt](sandbox:/mnt/data/summary.txt)"
    start = value.index("sandbox:")
    annotation = {
        "type": "file_path",
        "text": "sandbox:/mnt/data/summary.txt",
        "start_index": start,
        "end_index": len(value) - 1,
        "file_path": {"file_id": "file-out"},
    }
    text = _text(value, [annotation])
    html, sources = annotated_html(text.value, text.annotations, thread)
    url = reverse("thread_file", args=[thread.pk, "file-out"])
    assert f'<a href="{url}" rel="noopener noreferrer nofollow">summary.txt</a>' in html
    assert "sandbox:" not in html and sources == []


def test_annotations_that_do_not_match_the_text_are_left_out(thread):
    value = "Plain answer with no marker."
    wrong = {
        "type": "file_citation",
        "text": "【0:0†a.txt】",
        "start_index": 3,
        "end_index": 15,
        "file_citation": {"file_id": "file-1"},
    }
    outside = {**wrong, "text": "", "start_index": 200, "end_index": 210}
    text = _text(value, [wrong, outside])
    html, sources = annotated_html(text.value, text.annotations, thread)
    assert html == "<p>Plain answer with no marker.</p>\n" and sources == []


def test_a_message_without_files_needs_nothing_extra(thread):
    message = Message.model_validate(
        {
            "id": "msg_1",
            "role": "assistant",
            "content": [{"type": "text", "text": {"value": "Hi", "annotations": []}}],
        }
    )
    assert not message_files(message, thread, {})


def test_the_composer_sends_new_lines_as_typed():
    """Browsers post a textarea's new lines as CRLF; a ```python block must reach the model
    (and the code interpreter) with plain LF."""
    from assistants_app.forms import MessageForm

    form = MessageForm({"content": "Plot it\r\n```python\r\nprint(1)\r\n```"})
    assert form.is_valid()
    assert form.cleaned_data["content"] == "Plot it\n```python\nprint(1)\n```"
