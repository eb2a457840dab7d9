"""The Assistants API v2 at /v1 (mounted by dashboard/urls.py)."""

from django.urls import include, path, re_path

from .api import unknown_url
from .views import assistants, messages, models, runs, threads

app_name = "engine"

urlpatterns = [
    path("assistants", assistants.assistants, name="assistants"),
    path("assistants/<str:assistant_id>", assistants.assistant, name="assistant"),
    path("threads", threads.threads, name="threads"),
    path("threads/runs", threads.thread_and_run, name="thread-and-run"),
    path("threads/<str:thread_id>", threads.thread, name="thread"),
    path("threads/<str:thread_id>/messages", messages.messages, name="messages"),
    path("threads/<str:thread_id>/messages/<str:message_id>", messages.message, name="message"),
    path("threads/<str:thread_id>/runs", runs.runs, name="runs"),
    path("threads/<str:thread_id>/runs/<str:run_id>", runs.run, name="run"),
    path("threads/<str:thread_id>/runs/<str:run_id>/cancel", runs.cancel, name="run-cancel"),
    path(
        "threads/<str:thread_id>/runs/<str:run_id>/submit_tool_outputs",
        runs.submit_tool_outputs,
        name="run-submit-tool-outputs",
    ),
    path("threads/<str:thread_id>/runs/<str:run_id>/steps", runs.steps, name="run-steps"),
    path(
        "threads/<str:thread_id>/runs/<str:run_id>/steps/<str:step_id>",
        runs.step,
        name="run-step",
    ),
    path("models", models.models, name="models"),
    path("models/<path:model_id>", models.model, name="model"),
    path("", include("engine.files.urls")),
    re_path(r"^(?P<path>.*)$", unknown_url),
]
