"""The thread page's own forms, rendered from the form (widgets and attributes live here)."""

from __future__ import annotations

from collections.abc import Callable

from django import forms

from .forms import MessageForm
from .models import ThreadRecord


class ComposerForm(MessageForm):
    """The composer: MessageForm as the chat pane draws it."""

    # An empty or too long message is answered with the form's own words after posting, as
    # before, not with the browser's validation bubble.
    use_required_attribute = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        attrs = self.fields["content"].widget.attrs
        attrs.pop("maxlength", None)
        attrs["data-enter-sends"] = True  # static/js/app.js: Enter sends, Shift+Enter a new line

    def offer_models(
        self, names: Callable[[], list[tuple[str, str]]], assistant_model: Callable[[], str]
    ) -> None:
        """The model as a picker: the assistant's own first (sent as no override), then the
        connection's other models, each (id, label) with the provider's name where known.
        A name posted or remembered that is not listed stays.
        Both are asked for only when the picker is drawn (a held composer's checks need not
        reach the backend)."""
        current = str(self["model"].value() or "")

        def choices() -> list[tuple[str, str]]:
            own, listed = assistant_model(), names()
            own_label = dict(listed).get(own, own)
            label = f"{own_label} (the assistant's model)" if own else "The assistant's model"
            offered = [("", label)] + [(name, text) for name, text in listed if name != own]
            if current and current not in {value for value, _ in offered}:
                offered.append((current, current))
            return offered

        field = self.fields["model"]
        field.widget = forms.Select(choices=choices, attrs={"class": "model-picker"})
        field.help_text = ""

    def hold(self, reason_id: str) -> None:
        """While a run holds the thread, the box is disabled and says why (element reason_id)."""
        self.fields["content"].widget.attrs.update(
            {"disabled": True, "aria-describedby": reason_id}
        )


class EditMessageForm(forms.Form):
    """A message of one's own, edited, to be sent again as a new message."""

    content = MessageForm.base_fields["content"]

    use_required_attribute = False

    def clean_content(self) -> str:
        return MessageForm.clean_content(self)  # type: ignore[arg-type]


_SHARING_CHOICES = [
    (value, "Only me" if value == ThreadRecord.Sharing.PRIVATE else label)
    for value, label in ThreadRecord.Sharing.choices
]


class ThreadSharingForm(forms.Form):
    """Who can see a thread: only its creator, the team read-only, or the team as chatters."""

    sharing = forms.ChoiceField(label="Who can see it", choices=_SHARING_CHOICES)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "thread-%s")
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
