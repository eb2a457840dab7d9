"""Tool calls waiting for the team: which runs wait for whom, who answers them, how.

- The dashboard learns that a run waits from whatever asks the backend about it: a chat that
  follows it (chat.remember_run calls `note_run`), or the background task that follows every
  moving run, page open or not (following.py, prompted by `note_run`; each of its passes is a
  `sweep`, which asks the backend about the runs still moving). A waiting run is a WaitingRun
  row holding its calls, so the waiting page and the count only read one table: they never
  ask the backend themselves.
- Exactly one submission per round of calls: `take_round` inserts the round's Answer row
  before anything is sent; the unique constraint makes the second person lose, and they are
  shown the winner's answer. A round whose sender failed is released (or lapses).
- How each output was made (`HOW`) is worked out on the server from what was submitted: the
  endpoint's answer unchanged or edited, a saved reply's text, or typed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from . import audit
from .models import (
    Answer,
    FunctionAnswering,
    RunRecord,
    SavedReply,
    ThreadRecord,
    WaitingRun,
)
from .rendering import pretty_json
from .services import AssistantsClient, AssistantsError, client_for
from .services.types import Run

HOW = {
    "typed": "typed",
    "saved_reply": "a saved reply",
    "endpoint_approved": "the endpoint's answer, approved unchanged",
    "endpoint_edited": "the endpoint's answer, edited",
    "automatic": "answered automatically by the endpoint",
}
SWEEP_SECONDS = 0.4
SWEEP_LIMIT = 50  # runs asked about per sweep, the least recently updated first
MOVING_FOR = timedelta(hours=1)  # older records still "moving" were abandoned
STALE_ATTEMPT = timedelta(seconds=60)  # an unsent answer this old was a sender that died


def _round_key(record: RunRecord) -> str:
    return f"dashboard:waiting-round:{record.pk}"


MOVING = ("queued", "in_progress", "cancelling")


def note_run(record: RunRecord, run: Run) -> None:
    """Keep the run's WaitingRun row in step with what the backend just said about it, and
    have a moving run followed in the background. Called for every status the dashboard sees,
    so it touches the database only on change."""
    if run.status == "requires_action" and run.required_tool_calls:
        calls = [call.model_dump(mode="json") for call in run.required_tool_calls]
        round_id = calls[0]["id"]
        if cache.get(_round_key(record)) == round_id:
            return
        expires = datetime.fromtimestamp(run.expires_at, UTC) if run.expires_at else None
        row, created = WaitingRun.objects.get_or_create(
            run=record,
            defaults={"round_id": round_id, "calls": calls, "expires_at": expires},
        )
        if not created and row.round_id != round_id:
            row.round_id, row.calls, row.expires_at = round_id, calls, expires
            row.since, row.endpoint_results = timezone.now(), {}
            row.claimed_by, row.claim_active_at = None, None
            row.save()
            created = True
        cache.set(_round_key(record), round_id, 3600)
        if created:
            from .chat import run_error
            from .endpoints import ask_endpoints_later

            # Recorded before the endpoints are asked: an automatic answer submitted at once
            # records "queued", which this must not overwrite afterwards.
            record.note_status(run.status, run_error(run))
            ask_endpoints_later(row)
    elif record.status == "requires_action" or cache.get(_round_key(record)):
        WaitingRun.objects.filter(run=record).delete()
        cache.delete(_round_key(record))
    if run.status in MOVING:
        from .chat import run_error
        from .following import follow_soon

        record.note_status(run.status, run_error(run))  # before the follower looks for it
        follow_soon()


def moving() -> QuerySet[RunRecord]:
    """The dashboard's runs last seen queued or in progress (and not abandoned)."""
    return RunRecord.objects.filter(status__in=MOVING, updated_at__gte=timezone.now() - MOVING_FOR)


def sweep(*, force: bool = False, limit: int = SWEEP_LIMIT) -> int:
    """Ask the backend about the runs still moving (queued, in progress), so a run that stops
    on a call while nobody watches its chat is noticed; at most once per SWEEP_SECONDS for
    everyone unless `force`d. Returns how many runs were asked about."""
    from .chat import current_run

    if not force and not cache.add("dashboard:waiting-sweep", 1, SWEEP_SECONDS):
        return 0
    runs = moving().select_related("thread__connection").order_by("updated_at")[:limit]
    clients: dict[int, AssistantsClient] = {}
    asked = 0
    for record in runs:
        connection = record.thread.connection
        client = clients.get(connection.pk)
        if client is None:
            client = clients[connection.pk] = client_for(connection, max_retries=0, timeout=5)
        try:
            current_run(record, client)  # notes the status, and the calls if it waits
        except AssistantsError:
            continue  # the next sweep asks again
        asked += 1
    return asked


# --- who sees what ---------------------------------------------------------------------------


def waiting_for(user) -> QuerySet[WaitingRun]:
    """Runs waiting for tool outputs in the threads `user` may chat in, newest first."""
    threads = ThreadRecord.objects.chattable_by(user)
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
    return WaitingRun.objects.filter(live, run__thread__in=threads, run__status="requires_action")


# --- claiming --------------------------------------------------------------------------------


def claim(row: WaitingRun, user) -> bool:
    """Mark the run as being answered by `user`, unless someone else's claim is fresh."""
    now = timezone.now()
    from .waiting_models import CLAIM_IDLE

    free = Q(claimed_by__isnull=True) | Q(claimed_by=user) | Q(claim_active_at__lt=now - CLAIM_IDLE)
    taken = WaitingRun.objects.filter(free, pk=row.pk).update(claimed_by=user, claim_active_at=now)
    row.refresh_from_db(fields=["claimed_by", "claim_active_at"])
    return bool(taken)


def release(row: WaitingRun, user) -> None:
    WaitingRun.objects.filter(pk=row.pk, claimed_by=user).update(
        claimed_by=None, claim_active_at=None
    )


def keep_claim(row: WaitingRun, user) -> None:
    """The claimer is still at it (typing in the card): the claim lives on."""
    WaitingRun.objects.filter(pk=row.pk, claimed_by=user).update(claim_active_at=timezone.now())


# --- answering -------------------------------------------------------------------------------


@dataclass
class Turn:
    """One person's go at answering a round: `won` says whether their outputs may be sent;
    if not, `answer` is the winner's."""

    answer: Answer
    won: bool

    @property
    def words(self) -> str:
        """Who answered and what, for the person who lost the race."""
        answer = self.answer
        who = (
            "The endpoint"
            if answer.automatic
            else (answer.answered_by.get_username() if answer.answered_by else "Someone")
        )
        at = timezone.localtime(answer.at).strftime("%H:%M:%S")
        return f"{who} answered these calls at {at}; your outputs were not sent."


def take_round(
    record: RunRecord, calls: list[dict], outputs: list[dict], user, *, automatic: bool = False
) -> Turn:
    """The round's one Answer row for `user`, or the row of whoever got there first."""
    round_id = calls[0]["id"]
    named = [
        {"name": call["function"]["name"], "output": out["output"]}
        for call, out in zip(calls, outputs, strict=True)
    ]
    values = {"answered_by": user, "outputs": named, "automatic": automatic}
    try:
        with transaction.atomic():
            return Turn(Answer.objects.create(run=record, round_id=round_id, **values), True)
    except IntegrityError:
        pass
    found = Answer.objects.select_related("answered_by").get(run=record, round_id=round_id)
    mine = user is not None and found.answered_by_id == user.pk
    lapsed = timezone.now() - found.at > STALE_ATTEMPT
    if found.sent or not (mine or lapsed):
        return Turn(found, False)
    # This person's own earlier attempt did not go through (or a sender died): take it over,
    # unless someone else does so at the same moment.
    taken = Answer.objects.filter(pk=found.pk, at=found.at, sent=False).update(
        **values, at=timezone.now()
    )
    found.refresh_from_db()
    return Turn(found, bool(taken))


def hows(record: RunRecord, calls: list[dict], outputs: list[dict]) -> list[dict[str, Any]]:
    """How each output was made: compared with the endpoint's answer and the saved replies."""
    row = WaitingRun.objects.filter(run=record).first()
    results = row.endpoint_results if row else {}
    names = {call["function"]["name"] for call in calls}
    replies: dict[str, set[str]] = {}
    for name, text in SavedReply.objects.filter(
        connection_id=record.thread.connection_id,
        assistant_id=record.assistant_id,
        function_name__in=names,
    ).values_list("function_name", "text"):
        replies.setdefault(name, set()).add(text)
    made = []
    for call, out in zip(calls, outputs, strict=True):
        result = results.get(call["id"]) or {}
        how: dict[str, Any] = {"how": "typed"}
        if result.get("ok"):
            same = out["output"] == result.get("output")
            how = {"how": "endpoint_approved" if same else "endpoint_edited"}
        elif out["output"] in replies.get(call["function"]["name"], ()):
            how = {"how": "saved_reply"}
        if result:
            how.update(endpoint_status=result.get("status"), endpoint_ms=result.get("ms"))
        made.append(how)
    return made


def submit(
    record: RunRecord,
    client: AssistantsClient,
    calls: list[dict],
    outputs: list[dict],
    user,
    *,
    made: list[dict] | None = None,
) -> tuple[Turn, Run | None]:
    """Send one round's outputs, exactly once for the team. Returns the turn and the run the
    backend answered (None when someone else's answer won). A backend error propagates after
    the round is released, so the person may try again."""
    automatic = made is not None and all(m["how"] == "automatic" for m in made)
    turn = take_round(record, calls, outputs, user, automatic=automatic)
    if not turn.won:
        return turn, None
    made = made if made is not None else hows(record, calls, outputs)
    try:
        run = client.threads.runs.submit_tool_outputs(
            record.run_id, thread_id=record.thread.thread_id, tool_outputs=outputs
        )
    except AssistantsError:
        turn.answer.delete()
        raise
    answered(record, turn, calls, outputs, user, made)
    from .chat import remember_run

    remember_run(record, run)
    record.thread.note_activity()
    return turn, run


def answered(
    record: RunRecord, turn: Turn, calls: list[dict], outputs: list[dict], user, made: list[dict]
) -> None:
    """The backend took the outputs: record who gave which, how it was made, in the trail."""
    Answer.objects.filter(pk=turn.answer.pk).update(sent=True)
    record.record_outputs(calls, outputs, user, made)
    audit.tool_outputs_submitted(record, user, calls, outputs, made=made)
    WaitingRun.objects.filter(run=record, round_id=turn.answer.round_id).delete()
    cache.delete(_round_key(record))


# --- what a card offers ----------------------------------------------------------------------


@dataclass
class CallHelp:
    """What a tool-call card offers for one call: saved replies, the endpoint's answer."""

    call: dict
    replies: list[SavedReply] = field(default_factory=list)
    mode: str = FunctionAnswering.Mode.PERSON
    endpoint_name: str = ""
    result: dict | None = None  # the endpoint's answer once it came (or why it failed)
    save_url: str = ""  # "Save as a reply"
    help_url: str = ""  # the endpoint's answer, polled while it is being asked

    @property
    def asking(self) -> bool:
        return self.mode != FunctionAnswering.Mode.PERSON and self.result is None

    @cached_property
    def arguments(self) -> str:
        """The call's arguments indented for reading (made here, once per card)."""
        return pretty_json(self.call["function"]["arguments"])


def helps_for(rows: list[WaitingRun]) -> dict[str, CallHelp]:
    """{call_id: CallHelp} for every call of `rows`, in two queries whatever their number."""
    scopes = {(r.run.thread.connection_id, r.run.assistant_id) for r in rows}
    names = {c["function"]["name"] for r in rows for c in r.calls}
    wanted = Q(pk__in=[])
    for connection_id, assistant_id in scopes:
        wanted |= Q(connection_id=connection_id, assistant_id=assistant_id)
    replies: dict[tuple, list[SavedReply]] = {}
    for reply in SavedReply.objects.filter(wanted, function_name__in=names):
        key = (reply.connection_id, reply.assistant_id, reply.function_name)
        replies.setdefault(key, []).append(reply)
    answering = FunctionAnswering.objects.filter(wanted, function_name__in=names)
    modes = {
        (a.connection_id, a.assistant_id, a.function_name): a
        for a in answering.exclude(endpoint=None).select_related("endpoint")
    }
    helps = {}
    for row in rows:
        args = [row.run.thread_id, row.run.run_id]
        save_url = reverse("reply_save", args=args)
        for call in row.calls:
            key = (row.run.thread.connection_id, row.run.assistant_id, call["function"]["name"])
            how = modes.get(key)
            helps[call["id"]] = CallHelp(
                call,
                replies.get(key, []),
                how.mode if how else FunctionAnswering.Mode.PERSON,
                how.endpoint.name if how else "",
                row.endpoint_results.get(call["id"]),
                save_url,
                reverse("waiting_call_help", args=[*args, call["id"]]) if how else "",
            )
    return helps


def card_help(record: RunRecord, calls: list[dict]) -> dict[str, CallHelp]:
    """The chat card's help: its run's waiting row (or the calls alone, if there is none)."""
    row = WaitingRun.objects.filter(run=record).first()
    if row is None or row.round_id != calls[0]["id"]:
        row = WaitingRun(run=record, round_id=calls[0]["id"], calls=calls)
    return helps_for([row])


def seconds_left(row: WaitingRun) -> int | None:
    if row.expires_at is None:
        return None
    return max(0, int(row.expires_at.timestamp() - time.time()))
