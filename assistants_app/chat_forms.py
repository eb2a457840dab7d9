"""The thread page's own forms, rendered from the form (widgets and attributes live here)."""

from __future__ import annotations

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

    def hold(self, reason_id: str) -> None:
        """While a run holds the thread, the box is disabled and says why (element reason_id)."""
        self.fields["content"].widget.attrs.update(
            {"disabled": True, "aria-describedby": reason_id}
        )


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
