"""Waiting for an answer: the runs that wait for tool outputs in the threads a person may chat
in, answered in place; the live count in the top bar; claiming; saved replies."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import waiting
from ..forms import ToolOutputsForm
from ..models import Answer, RunRecord, SavedReply, ThreadRecord, WaitingRun
from ..services import AssistantsError
from ..waiting_forms import SavedReplyForm
from . import backend, in_words

COUNT_POLL_MS = 500
PAGE_SIZE = 20  # waiting runs per page: each is a whole form, so the page stays quick
NOTIFY_ITEMS = 20  # newest waiting runs the count fragment names, for browser notifications


@dataclass
class Item:
    """One waiting run as the page shows it."""

    row: WaitingRun
    form: ToolOutputsForm
    helps: dict[str, waiting.CallHelp]
    error: str = ""  # why the outputs were not submitted
    lost: waiting.Turn | None = None  # someone else's answer won

    @property
    def record(self) -> RunRecord:
        return self.row.run

    @property
    def thread(self) -> ThreadRecord:
        return self.row.run.thread

    @property
    def seconds_left(self) -> int | None:
        return waiting.seconds_left(self.row)

    def cards(self) -> list[tuple[dict, Any, waiting.CallHelp]]:
        return [(call, field, self.helps[call["id"]]) for call, field in self.form.pairs()]


def _rows(user):
    related = ("run__thread__owner", "run__started_by", "claimed_by")
    return waiting.waiting_for(user).select_related(*related)


def _items(rows: list[WaitingRun]) -> list[Item]:
    helps = waiting.helps_for(rows)
    return [Item(row, ToolOutputsForm(row.calls), helps) for row in rows]


@require_GET
def waiting_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_rows(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"nav": "waiting", "items": _items(list(page)), "page_obj": page}
    return render(request, "waiting/list.html", context)


@require_GET
def waiting_count(request: HttpRequest) -> HttpResponse:
    """The top bar's count, polled: 204 (nothing to swap) while it has not changed."""
    if not request.htmx:
        return redirect("waiting_list")
    rows = list(
        _rows(request.user)
        .only("pk", "round_id", "calls", "since", "run__run_id", "run__thread__title")
        .select_related(None)
        .select_related("run__thread")
    )
    count = sum(len(row.calls) for row in rows)
    runs = [
        {
            "key": f"{row.run.run_id}:{row.round_id}",
            "title": row.run.thread.display_title,
            "calls": len(row.calls),
            "url": reverse("waiting_list") + f"#waiting-{row.run_id}",
        }
        for row in rows[:NOTIFY_ITEMS]
    ]
    signature = hashlib.sha256(json.dumps([count, runs]).encode()).hexdigest()[:16]
    if request.GET.get("v") == signature:
        return HttpResponse(status=204)
    context = {
        "count": count,
        "runs_json": json.dumps(runs),
        "signature": signature,
        "poll_ms": COUNT_POLL_MS,
    }
    return render(request, "waiting/count.html#count", context)


def _waiting(request: HttpRequest, pk: int, run_id: str) -> tuple[RunRecord, WaitingRun | None]:
    """The run (in a thread this person may chat in) and its waiting row, if it still waits."""
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    record = get_object_or_404(thread.runs.select_related("thread__owner"), run_id=run_id)
    row = WaitingRun.objects.filter(run=record).select_related("claimed_by").first()
    return record, row


def _item_response(
    request: HttpRequest,
    item: Item | None,
    record: RunRecord,
    status: int = 200,
    *,
    late: bool = False,
    said: tuple[int, str] | None = None,
):
    """The item as it now is; `late`: this person's outputs came after the run moved on, so
    they are told who answered and what (rather than only that it was answered). `said`:
    (message level, words) for a page without htmx, which reloads; the fragment says it."""
    done = _last_answer(record) if not item else None
    lost = waiting.Turn(done, False) if late and done and done.answered_by != request.user else None
    if not request.htmx:
        if late:
            said = (
                messages.INFO,
                lost.words if lost else "That run no longer waits for tool outputs.",
            )
        return _to_list(request, record, said)
    context = {"item": item, "record": record, "done": done, "lost": lost}
    return render(request, "waiting/list.html#item", context, status=status)


def _to_list(
    request: HttpRequest, record: RunRecord, said: tuple[int, str] | None = None
) -> HttpResponse:
    """Without htmx: back to the run's card on the waiting page, with what happened (`said`)."""
    if said:
        messages.add_message(request, *said)
    return redirect(reverse("waiting_list") + f"#waiting-{record.pk}")


def _last_answer(record: RunRecord) -> Answer | None:
    return record.answers.filter(sent=True).select_related("answered_by").order_by("-at").first()


@require_POST
def waiting_answer(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    """Submit every output of a run's round together; exactly one person's submission wins."""
    record, row = _waiting(request, pk, run_id)
    if row is None:  # answered, expired or cancelled meanwhile
        return _item_response(request, None, record, late=True)
    item = _items([row])[0]
    item.form = ToolOutputsForm(row.calls, request.POST)
    item.form.is_valid()  # every field is optional plain text
    try:
        turn, _ = waiting.submit(
            record, backend(record.thread.connection), row.calls, item.form.outputs(), request.user
        )
    except AssistantsError as error:
        item.error = in_words(error)  # nothing typed is lost
        said = (messages.ERROR, f"The outputs were not submitted. {item.error}")
        return _item_response(request, item, record, status=422, said=said)
    if not turn.won:
        item.lost = turn
        return _item_response(request, item, record, said=(messages.WARNING, turn.words))
    said = (messages.SUCCESS, f"Submitted the outputs for “{record.thread.display_title}”.")
    return _item_response(request, None, record, said=said)


@require_POST
def waiting_claim(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    record, row = _waiting(request, pk, run_id)
    if row is not None:
        if request.POST.get("release"):
            waiting.release(row, request.user)
        elif not waiting.claim(row, request.user) and not request.htmx:
            messages.warning(request, f"{row.claimer.get_username()} is answering this run.")
    return _claim_response(request, record, row)


@require_POST
def waiting_active(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    """The claimer is typing: keep the claim alive (sent by the card, throttled)."""
    _, row = _waiting(request, pk, run_id)
    if row is not None:
        waiting.keep_claim(row, request.user)
    return HttpResponse(status=204)


def _claim_response(request: HttpRequest, record: RunRecord, row: WaitingRun | None):
    if not request.htmx:
        return _to_list(request, record)
    if row is not None:
        row.refresh_from_db()
    return render(request, "waiting/list.html#claim", {"record": record, "row": row})


@require_GET
def waiting_call_help(request: HttpRequest, pk: int, run_id: str, call_id: str) -> HttpResponse:
    """A card's endpoint answer, polled until the endpoint has answered (or failed)."""
    record, row = _waiting(request, pk, run_id)
    calls = [c for c in (row.calls if row else []) if c["id"] == call_id]
    if not calls:  # answered meanwhile (automatically, or by someone): say so, stop polling
        context = {"done": _last_answer(record), "thread": record.thread}
        return render(request, "waiting/card.html#endpoint_done", context, status=286)
    help_ = waiting.helps_for([row])[call_id]
    context = {"help": help_, "call": calls[0], "thread": record.thread, "run_id": run_id}
    return render(request, "waiting/card.html#endpoint", context)


# --- saved replies ---------------------------------------------------------------------------


@require_POST
def reply_save(request: HttpRequest, pk: int, run_id: str) -> HttpResponse:
    """ "Save as a reply" from a card: the output typed for one call, under a name."""
    thread = get_object_or_404(ThreadRecord.objects.chattable_by(request.user), pk=pk)
    record = get_object_or_404(thread.runs, run_id=run_id)
    call_id = request.POST.get("save_call", "")
    row = WaitingRun.objects.filter(run=record).first()
    calls = [c for c in (row.calls if row else []) if c["id"] == call_id]
    if not calls:
        return _saved(request, thread, "That call no longer waits; the reply was not saved.", 422)
    reply = SavedReply(
        connection_id=thread.connection_id,
        assistant_id=record.assistant_id,
        function_name=calls[0]["function"]["name"],
        created_by=request.user,
    )
    form = SavedReplyForm(
        {
            "name": request.POST.get(f"reply_name_{call_id}", ""),
            "text": request.POST.get(f"output_{call_id}", ""),
        },
        instance=reply,
    )
    if not form.is_valid():
        words = " ".join(e for errors in form.errors.values() for e in errors)
        return _saved(request, thread, f"Not saved: {words}", 422)
    form.save()
    return _saved(request, thread, f"Saved as “{reply.name}” for {reply.function_name}.")


def _saved(request: HttpRequest, thread: ThreadRecord, words: str, status: int = 200):
    if request.htmx:
        return render(request, "waiting/card.html#saved", {"words": words}, status=status)
    (messages.success if status == 200 else messages.error)(request, words)
    return redirect(request.POST.get("next") or thread.get_absolute_url())


@require_GET
def reply_list(request: HttpRequest) -> HttpResponse:
    replies = SavedReply.objects.select_related("created_by").order_by(
        "assistant_id", "function_name", "name"
    )
    return render(request, "waiting/replies.html", {"nav": "waiting", "replies": replies})


@require_http_methods(["GET", "POST"])
def reply_edit(request: HttpRequest, reply_pk: int) -> HttpResponse:
    reply = _changeable(request, reply_pk)
    form = SavedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved “{reply.name}”.")
        return redirect("reply_list")
    return render(request, "waiting/reply_form.html", {"nav": "waiting", "form": form})


@require_POST
def reply_delete(request: HttpRequest, reply_pk: int) -> HttpResponse:
    reply = _changeable(request, reply_pk)
    reply.delete()
    messages.success(request, f"Deleted the saved reply “{reply.name}”.")
    return redirect("reply_list")


def _changeable(request: HttpRequest, reply_pk: int) -> SavedReply:
    """A saved reply this person may change: their own, or any for an administrator."""
    from django.core.exceptions import PermissionDenied

    reply = get_object_or_404(SavedReply, pk=reply_pk)
    if not reply.can_change(request.user):
        raise PermissionDenied("Only its author and administrators may change a saved reply.")
    return reply
