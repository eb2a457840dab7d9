"""Forms of the Models page: a provider, a model typed by name, an alias, and the setting for
names nobody serves. Choices come from the engine's model service (engine.model_admin)."""

from __future__ import annotations

import re

from django import forms

HEADER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
# Headers the engine sets itself: an extra header must not replace the key or the body's type.
RESERVED_HEADERS = {"authorization", "api-key", "content-type", "content-length", "host"}


def _kinds() -> list[tuple[str, str]]:
    from engine import model_admin

    return model_admin.KIND_CHOICES


def _unknown() -> list[tuple[str, str]]:
    from engine import model_admin

    return model_admin.UNKNOWN_CHOICES


class ProviderForm(forms.Form):
    name = forms.CharField(max_length=64, help_text="Shown beside its models in the model pickers.")
    kind = forms.ChoiceField(choices=_kinds, label="Kind of server")
    base_url = forms.URLField(
        max_length=500,
        label="Base URL",
        assume_scheme="https",
        help_text="Where its OpenAI-style API lives, e.g. http://127.0.0.1:11434/v1 for Ollama; "
        "for Azure OpenAI, the resource's endpoint (https://NAME.openai.azure.com).",
    )
    api_key = forms.CharField(
        required=False,
        max_length=500,
        label="API key",
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Stored encrypted and never shown again. Leave empty to keep the stored key.",
    )
    clear_key = forms.BooleanField(required=False, label="Remove the stored API key")
    api_version = forms.CharField(
        required=False,
        max_length=32,
        label="API version (Azure)",
        help_text="Azure OpenAI only, e.g. 2024-10-21.",
    )
    extra_headers = forms.CharField(
        required=False,
        label="Extra headers",
        widget=forms.Textarea(attrs={"rows": 2, "class": "code"}),
        help_text="One per line, as Name: value.",
    )
    prefix = forms.CharField(
        required=False,
        max_length=32,
        help_text="Offer its models as prefix + name (e.g. local/), when two providers share "
        "names.",
    )
    discover = forms.BooleanField(
        required=False, initial=True, label="List its models from the server"
    )
    enabled = forms.BooleanField(required=False, initial=True, label="Enabled")

    def clean_extra_headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["extra_headers"].splitlines(), 1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name, value = name.strip(), value.strip()
            if not colon or not HEADER_NAME.match(name):
                raise forms.ValidationError(
                    f"Line {number} is not “Name: value” (a name of letters, digits and -)."
                )
            if name.lower() in RESERVED_HEADERS:
                raise forms.ValidationError(f"{name} is set by the engine; leave it out.")
            if any(ord(c) < 32 for c in value):
                raise forms.ValidationError(f"The value of {name} has a control character.")
            headers[name] = value
        return headers

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == "azure" and not data.get("api_version"):
            self.add_error("api_version", "Azure OpenAI needs an API version, e.g. 2024-10-21.")
        return data

    @staticmethod
    def initial_for(provider) -> dict:
        return {
            "name": provider.name,
            "kind": provider.kind,
            "base_url": provider.base_url,
            "api_version": provider.api_version,
            "extra_headers": "\n".join(f"{k}: {v}" for k, v in provider.extra_headers.items()),
            "prefix": provider.prefix,
            "discover": provider.discover,
            "enabled": provider.enabled,
        }


class ModelNameForm(forms.Form):
    name = forms.CharField(
        max_length=256,
        label="Model name",
        help_text="As the server names it (for Azure, the deployment).",
    )


class AliasForm(forms.Form):
    pattern = forms.CharField(
        max_length=256,
        label="Name or pattern",
        help_text="What code asks for: gpt-4o, or a pattern such as gpt-4*.",
    )
    target = forms.CharField(
        max_length=256,
        label="Answered by",
        help_text="A model served here, or demo.",
        widget=forms.TextInput(attrs={"list": "served-models"}),
    )


class UnknownModelsForm(forms.Form):
    unknown_models = forms.ChoiceField(choices=_unknown, label="A model name nobody serves")
