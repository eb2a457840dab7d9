"""The builder as a playground (views/assistants.py): rows changed in place, the test chat,
code, export and import, and History's restore; against the built-in engine over real HTTP.

Assistants are shared by the team: owner, teammate and outsider may all use the builder.
A test chat is a thread of its own person's, private like any other.
"""

import pytest
from django.urls import reverse

from .support import HTMX, builder_data

pytestmark = pytest.mark.django_db


def test_a_row_added_with_htmx_comes_back_alone_and_without_it_the_whole_page(
    client, owner, engine
):
    client.force_login(owner)
    url = reverse("assistant_create")
    data = builder_data(name="Kept", action="add_metadata")
    section = client.post(url, data, **HTMX).content.decode()
    assert section.lstrip().startswith('<div id="metadata"')
    assert 'name="meta-0-key"' in section and "data-new-row" in section
    assert "<html" not in section and 'value="Kept"' not in section
    page = client.post(url, data).content.decode()
    assert "<html" in page and 'value="Kept"' in page and 'name="meta-0-key"' in page

    functions = client.post(url, builder_data(action="template-lookup_order"), **HTMX)
    assert functions.content.decode().lstrip().startswith('<div id="functions"')
    assert 'value="lookup_order"' in functions.content.decode()


def test_at_sixteen_metadata_rows_the_add_button_says_why_it_is_gone(client, owner, engine):
    client.force_login(owner)
    rows = {f"meta-{n}-key": f"k{n}" for n in range(15)}
    data = builder_data(action="add_metadata", **{"meta-TOTAL_FORMS": "15"}, **rows)
    section = client.post(reverse("assistant_create"), data, **HTMX).content.decode()
    assert section.count('name="meta-') >= 16 * 2
    assert ">Add metadata<" not in section
    assert "as many metadata pairs as an assistant can have" in section
