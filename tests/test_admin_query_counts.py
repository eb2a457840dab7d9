"""Admin changelists cost the same number of queries however many rows they list: every
column showing a related object is joined (list_select_related), not read once per row."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assistants_app.models import (
    Answer,
    AssistantRecord,
    AuditEvent,
    Connection,
    Endpoint,
    FileRecord,
    FunctionAnswering,
    Installation,
    RunRecord,
    SavedReply,
    ThreadFile,
    ThreadMessageIndex,
    ThreadRecord,
    ToolOutputSubmission,
    VectorStoreRecord,
    WaitingRun,
)
from engine.files.models import Chunk, File, FileBatch, VectorStore, VectorStoreFile
from engine.models import Assistant, EngineKey, Message, Run, RunStep, Thread
from engine.provider_models import ModelProvider, ProviderModel
from engine.usage_models import MonthlyTokens, TokenBudget

FEW, MANY = 2, 12
ONE_ROW_ONLY = {Installation}  # a singleton: its changelist never lists more than one row
SERIAL = itertools.count(1)  # unique names and ids for the rows made


# --- One row of each model, with related objects of its own  ------------------------


def serial() -> int:
    return next(SERIAL)


def person():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(f"person{serial()}")


def backend() -> Connection:
    n = serial()
    return Connection.objects.create(name=f"Backend {n}", base_url=f"https://b{n}.example/v1")


def engine_key() -> EngineKey:
    return EngineKey.issue(f"key {serial()}", created_by=person())[0]


def engine_thread() -> Thread:
    return Thread.objects.create(created_by_key=engine_key())


def engine_run() -> Run:
    return Run.objects.create(thread=engine_thread(), assistant_id="asst_1", model="demo")


def message() -> Message:
    run = engine_run()
    content = Message.text_content("Hello")
    return Message.objects.create(thread=run.thread, run=run, role="assistant", content=content)


def run_step() -> RunStep:
    run = engine_run()
    return RunStep.objects.create(
        run=run, thread=run.thread, assistant_id="asst_1", type=RunStep.MESSAGE_CREATION
    )


def provider_model() -> ProviderModel:
    n = serial()
    provider = ModelProvider.objects.create(name=f"p{n}", base_url="http://127.0.0.1:9/v1")
    return ProviderModel.objects.create(provider=provider, name=f"m{n}", model_id=f"m{n}")


def owner_of_tokens() -> dict[str, Any]:
    """Half the rows a person's, half a key's: each column shows on some rows."""
    return {"person": person()} if serial() % 2 else {"key": engine_key()}


def engine_file() -> File:
    n = serial()
    return File.objects.create(
        filename=f"f{n}.txt", purpose="assistants", content=f"f{n}", created_by_key=engine_key()
    )


def vector_store() -> VectorStore:
    return VectorStore.objects.create(name=f"store {serial()}", created_by_key=engine_key())


def vector_store_file() -> VectorStoreFile:
    return VectorStoreFile.objects.create(vector_store=vector_store(), file=engine_file())


def chunk() -> Chunk:
    stored = vector_store_file()
    return Chunk.objects.create(
        vector_store_file=stored,
        vector_store_id=stored.vector_store_id,
        file_id=stored.file_id,
        position=0,
        text="text",
        terms="text",
    )


def thread_record() -> ThreadRecord:
    return ThreadRecord.objects.create(
        connection=backend(), thread_id="thread_1", owner=person(), assistant_id="asst_1"
    )


def run_record() -> RunRecord:
    return RunRecord.objects.create(
        thread=thread_record(), run_id="run_1", assistant_id="asst_1", started_by=person()
    )


def tool_output() -> ToolOutputSubmission:
    return ToolOutputSubmission.objects.create(
        run=run_record(), tool_call_id="call_1", function_name="f", submitted_by=person()
    )


def endpoint() -> Endpoint:
    return Endpoint.objects.create(
        name=f"e{serial()}", url="https://e.example", created_by=person()
    )


def function_answering() -> FunctionAnswering:
    return FunctionAnswering.objects.create(
        connection=backend(),
        assistant_id="asst_1",
        function_name="f",
        endpoint=endpoint(),
        changed_by=person(),
    )


ROWS: dict[type[Model], Callable[[], Any]] = {
    # The built-in engine's records
    Assistant: lambda: Assistant.objects.create(model="demo", created_by_key=engine_key()),
    Thread: engine_thread,
    Message: message,
    Run: engine_run,
    RunStep: run_step,
    EngineKey: engine_key,
    ProviderModel: provider_model,
    TokenBudget: lambda: TokenBudget.objects.create(monthly_tokens=9, **owner_of_tokens()),
    MonthlyTokens: lambda: MonthlyTokens.objects.create(
        month=date(2026, 1, 1), **owner_of_tokens()
    ),
    File: engine_file,
    VectorStore: vector_store,
    VectorStoreFile: vector_store_file,
    FileBatch: lambda: FileBatch.objects.create(vector_store=vector_store()),
    Chunk: chunk,
    # The dashboard's records
    AssistantRecord: lambda: AssistantRecord.objects.create(
        connection=backend(), assistant_id="asst_1", created_by=person(), changed_by=person()
    ),
    ThreadRecord: thread_record,
    RunRecord: run_record,
    ToolOutputSubmission: tool_output,
    AuditEvent: lambda: AuditEvent.record(
        AuditEvent.Action.RUN_STARTED, actor=person(), connection=backend(), label="run"
    ),
    FileRecord: lambda: FileRecord.objects.create(
        connection=backend(), file_id="file_1", uploaded_by=person(), thread=thread_record()
    ),
    ThreadFile: lambda: ThreadFile.objects.create(thread=thread_record(), file_id="file_1"),
    VectorStoreRecord: lambda: VectorStoreRecord.objects.create(
        connection=backend(), vector_store_id="vs_1", created_by=person()
    ),
    ThreadMessageIndex: lambda: ThreadMessageIndex.objects.create(
        thread=thread_record(), message_id="msg_1", role="user", text="Hello"
    ),
    WaitingRun: lambda: WaitingRun.objects.create(
        run=run_record(), round_id="call_1", claimed_by=person()
    ),
    Answer: lambda: Answer.objects.create(
        run=run_record(), round_id="call_1", answered_by=person()
    ),
    SavedReply: lambda: SavedReply.objects.create(
        connection=backend(),
        assistant_id="asst_1",
        function_name="f",
        name="r",
        text="t",
        created_by=person(),
    ),
    Endpoint: endpoint,
    FunctionAnswering: function_answering,
}


# --- Measuring ------------------------------------------------------------------------------


def shows_related_objects(model: type[Model], model_admin: ModelAdmin) -> bool:
    """A column of the changelist is a relation (shown as the related object)."""
    for name in model_admin.list_display:
        try:
            if model._meta.get_field(name).is_relation:
                return True
        except FieldDoesNotExist:
            continue
    return False


def changelist_queries(client: Client, model: type[Model]) -> list[str]:
    """The queries of one GET of `model`'s changelist, which must list every row."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    changelist = response.context["cl"]
    assert len(changelist.result_list) == model._default_manager.count()
    return [query["sql"] for query in captured.captured_queries]


def grown(few: list[str], many: list[str]) -> list[str]:
    """The queries, ids aside, made more often for many rows: one per row, typically."""
    before = Counter(shape(sql) for sql in few)
    after = Counter(shape(sql) for sql in many)
    return [f"{count}x {sql}" for sql, count in after.items() if count > before[sql]]


def shape(sql: str) -> str:
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


@pytest.fixture
def superuser_client(client: Client, django_user_model) -> Client:
    client.force_login(django_user_model.objects.create_superuser("root", "root@example.com"))
    return client


def test_every_changelist_showing_related_objects_is_measured():
    shown = {
        model
        for model, model_admin in admin.site._registry.items()
        if shows_related_objects(model, model_admin)
    }
    assert shown - ONE_ROW_ONLY - set(ROWS) == set()


@pytest.mark.parametrize("model", ROWS, ids=lambda model: model._meta.label)
def test_a_changelist_takes_as_many_queries_for_many_rows_as_for_few(superuser_client, model):
    make = ROWS[model]
    for _ in range(FEW):
        make()
    few = changelist_queries(superuser_client, model)
    for _ in range(MANY - FEW):
        make()
    many = changelist_queries(superuser_client, model)
    assert model._default_manager.count() >= MANY
    assert len(many) <= len(few), "\n".join(grown(few, many))
