"""includes/form_fields.html: the fields of a one-form page."""

import re

from django import forms
from django.template.loader import render_to_string


class KeyForm(forms.Form):
    name = forms.CharField(help_text="What the key is for.")
    remember = forms.BooleanField(required=False, label="Remember me")


def test_the_help_is_the_element_the_field_is_described_by():
    html = render_to_string("includes/form_fields.html", {"form": KeyForm()})
    described_by = re.search(r'<input[^>]*name="name"[^>]*aria-describedby="([^"]+)"', html)
    assert described_by, html
    assert f'id="{described_by[1]}"' in html
    assert "What the key is for." in html


def test_a_checkbox_sits_inside_its_label():
    html = render_to_string("includes/form_fields.html", {"form": KeyForm()})
    assert re.search(
        r'<label class="switch"><input type="checkbox" name="remember"[^>]*> Remember me</label>',
        html,
    )
