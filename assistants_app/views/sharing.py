"""Sharing a thread with the team: private (the default), read-only, or "can chat".
Only its creator may change it; for anyone else the thread does not exist (404)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from .. import audit
from ..chat_forms import ThreadSharingForm
from ..models import ThreadRecord

SHARED_WORDS = {
    ThreadRecord.Sharing.PRIVATE: "Only you can see this thread now.",
    ThreadRecord.Sharing.TEAM_READ: "The team can now read this thread, but not write in it.",
    ThreadRecord.Sharing.TEAM_CHAT: "The team can now read this thread and chat in it.",
}


@require_POST
def thread_sharing(request: HttpRequest, pk: int) -> HttpResponse:
    thread = get_object_or_404(ThreadRecord.objects.owned_by(request.user), pk=pk)
    form = ThreadSharingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose who can see the thread.")
        return redirect(thread)
    before = thread.sharing
    if thread.share(form.cleaned_data["sharing"]):
        audit.thread_sharing_changed(thread, request.user, before)
    messages.success(request, SHARED_WORDS[thread.sharing])
    return redirect(thread)
