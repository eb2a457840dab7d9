"""Forms for saved replies, endpoints and how a function's calls are answered."""

from __future__ import annotations

from django import forms

from .endpoints import check_url, parse_headers
from .models import Endpoint, FunctionAnswering, SavedReply

MAX_TIMEOUT_SECONDS = 60.0
MAX_RESPONSE_BYTES = 10_000_000


class SavedReplyForm(forms.ModelForm):
    class Meta:
        model = SavedReply
        fields = ["name", "text"]
        widgets = {"text": forms.Textarea(attrs={"rows": 4, "class": "code"})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Give the reply a name.")
        reply = self.instance
        taken = SavedReply.objects.filter(
            connection_id=reply.connection_id,
            assistant_id=reply.assistant_id,
            function_name=reply.function_name,
            name=name,
        ).exclude(pk=reply.pk)
        if taken.exists():
            raise forms.ValidationError(f"There is already a reply named “{name}” for it.")
        return name


class EndpointForm(forms.ModelForm):
    """Headers are write-only: left empty, the stored ones are kept; "Remove the headers"
    clears them."""

    clear_headers = forms.BooleanField(required=False, label="Remove the stored headers")

    class Meta:
        model = Endpoint
        fields = ["name", "url", "headers", "timeout_seconds", "max_response_bytes"]
        labels = {
            "url": "URL",
            "timeout_seconds": "Timeout (seconds)",
            "max_response_bytes": "Largest answer (bytes)",
        }
        widgets = {
            "headers": forms.Textarea(
                attrs={"rows": 3, "class": "code", "placeholder": "Authorization: Bearer …"}
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stored_headers = self.instance.headers or ""
        self.initial["headers"] = ""  # never shown back
        self.fields["timeout_seconds"].min_value = 0.1
        self.fields["timeout_seconds"].max_value = MAX_TIMEOUT_SECONDS
        self.fields["max_response_bytes"].min_value = 1
        self.fields["max_response_bytes"].max_value = MAX_RESPONSE_BYTES
        if self.stored_headers:
            count = len(parse_headers(self.stored_headers))
            self.fields["headers"].help_text = (
                f"{count} header{'s' if count != 1 else ''} stored (not shown). "
                "Type new ones to replace them."
            )

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if problem := check_url(url):
            raise forms.ValidationError(problem)
        return url

    def clean_timeout_seconds(self) -> float:
        value = self.cleaned_data["timeout_seconds"]
        if not 0.1 <= value <= MAX_TIMEOUT_SECONDS:
            raise forms.ValidationError(f"Between 0.1 and {MAX_TIMEOUT_SECONDS:g} seconds.")
        return value

    def clean_max_response_bytes(self) -> int:
        value = self.cleaned_data["max_response_bytes"]
        if not 1 <= value <= MAX_RESPONSE_BYTES:
            raise forms.ValidationError(f"Between 1 and {MAX_RESPONSE_BYTES:,} bytes.")
        return value

    def clean_headers(self) -> str:
        text = self.cleaned_data["headers"]
        if self.data.get("clear_headers"):
            return ""
        if not text.strip():
            return self.stored_headers
        try:
            parse_headers(text)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from error
        return text


class FunctionAnsweringForm(forms.Form):
    """How one function's calls are answered: by a person, or by an endpoint."""

    mode = forms.ChoiceField(choices=FunctionAnswering.Mode.choices)
    endpoint = forms.ModelChoiceField(
        queryset=Endpoint.objects.all(), required=False, empty_label="(no endpoint)"
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("mode", "person") != "person" and not data.get("endpoint"):
            self.add_error("endpoint", "Choose the endpoint that answers this function.")
        return data
