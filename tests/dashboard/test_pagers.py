"""The two pagination includes: cursor pages (the API's lists) and numbered pages (local lists)."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory


def _cursor_pages(url: str, **context) -> str:
    request = RequestFactory().get(url)
    return render_to_string("includes/cursor_pages.html", context, request=request)


def test_cursor_pages_keep_the_other_parameters():
    html = _cursor_pages(
        "/files/?purpose=user_data&after=file-9", after="file-9", next_cursor="f/1"
    )
    assert '<a href="?purpose=user_data">Newest</a>' in html
    assert '<a href="?purpose=user_data&amp;after=f%2F1">Older</a>' in html


def test_the_first_page_link_clears_the_cursor_and_htmx_targets_the_list():
    html = _cursor_pages(
        "/assistants/?after=asst_9",
        after="asst_9",
        next_cursor=None,
        first_label="First page",
        target="#assistant-results",
    )
    assert '<a href="?" hx-get="?" hx-target="#assistant-results" hx-push-url="true">' in html
    assert "First page" in html and "Older" not in html and "Next page" not in html


def test_one_page_has_no_pager():
    assert "pager" not in _cursor_pages("/vector-stores/", after="", next_cursor=None)
    page = Paginator(range(5), 10).page(1)
    assert "pager" not in render_to_string("includes/pages.html", {"page_obj": page})


def test_numbered_pages():
    page = Paginator(range(25), 10).page(2)
    html = render_to_string("includes/pages.html", {"page_obj": page})
    assert '<a href="?page=1">Newer</a>' in html and '<a href="?page=3">Older</a>' in html
    assert "Page 2 of 3" in html
