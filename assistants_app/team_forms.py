"""Forms of the administrators' pages (people, connections, engine keys) and thread sharing."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import escape

from .forms import NewAccountPasswordMixin
from .models import Connection
from .roles import ROLE_CHOICES


class PersonForm(NewAccountPasswordMixin, forms.Form):
    """Add a person: who they are, their role, and how they get their first password."""

    HOW_CHOICES = [
        ("link", "A one-time link to set their own password (valid for 3 days)"),
        ("password", "A temporary password I give them"),
    ]

    username = forms.CharField(max_length=150, widget=forms.TextInput(attrs={"autofocus": True}))
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="member", widget=forms.RadioSelect)
    how = forms.ChoiceField(
        label="First sign-in", choices=HOW_CHOICES, initial="link", widget=forms.RadioSelect
    )
    password = forms.CharField(
        label="Temporary password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Only for a temporary password. They can change it under Settings.",
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        User = get_user_model()
        User.username_validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError("Someone already has this username.")
        return username

    def clean(self) -> dict:
        cleaned = super().clean()
        password = cleaned.get("password", "")
        if cleaned.get("how") == "password":
            if not password:
                self.add_error("password", "Type the temporary password, or choose the link.")
            else:
                self.validate_new_password("password")
        return cleaned


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


class ConnectionForm(forms.ModelForm):
    """A backend that speaks the Assistants API. The API key is write-only: the form never
    shows it back, and leaving it empty keeps the stored one."""

    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        max_length=4000,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
    )
    clear_api_key = forms.BooleanField(label="Remove the stored API key", required=False)
    base_url = forms.URLField(
        label="Address (base URL)",
        required=False,
        assume_scheme="https",
        help_text="For example https://api.example.com/v1. Empty for the built-in engine.",
    )

    class Meta:
        model = Connection
        fields = [
            "name",
            "kind",
            "base_url",
            "api_key",
            "organization",
            "project",
            "api_version",
            "default_model",
        ]
        labels = {"api_version": "API version"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stored_key = self.instance.api_key if self.instance.pk else ""
        if self.stored_key:
            self.fields["api_key"].help_text = (
                f"Stored encrypted, ending {escape(self.instance.masked_api_key)}. "
                "Leave empty to keep it; type a new one to replace it."
            )
        else:
            self.fields["api_key"].help_text = "Stored encrypted; never shown again."
            del self.fields["clear_api_key"]

    def clean(self) -> dict:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Connection.Kind.BUILTIN:
            others = Connection.objects.filter(kind=Connection.Kind.BUILTIN)
            if self.instance.pk:
                others = others.exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("kind", "There is already a connection to the built-in engine.")
            cleaned["base_url"] = ""
        elif kind and not cleaned.get("base_url"):
            self.add_error("base_url", "Give the address of the server, e.g. https://api…/v1.")
        if kind == Connection.Kind.AZURE and not cleaned.get("api_version"):
            self.add_error("api_version", "Azure needs an api-version, e.g. 2024-05-01-preview.")
        return cleaned

    def save(self, commit: bool = True) -> Connection:
        connection = super().save(commit=False)
        if self.cleaned_data.get("clear_api_key"):
            connection.api_key = ""
        elif not self.cleaned_data.get("api_key"):
            connection.api_key = self.stored_key  # empty means "keep"
        if commit:
            connection.save()
        return connection


class EngineKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        help_text="What the key is for, e.g. “CI pipeline” or “Zapier”.",
        widget=forms.TextInput(attrs={"autofocus": True}),
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the key a name.")
        return name


def _team_access_choices() -> list[tuple[str, str]]:
    from engine.keys import TEAM_ACCESS_CHOICES  # the engine's key service, not its models

    return TEAM_ACCESS_CHOICES


class TeamAccessForm(forms.Form):
    """What a key may do with the team's assistants and vector stores it did not make."""

    team_access = forms.ChoiceField(
        label="Team assistants and vector stores", choices=_team_access_choices
    )
