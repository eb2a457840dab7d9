"""The Assistants API v2 at /v1 (mounted by dashboard/urls.py)."""

from collections.abc import Callable

from django.http import HttpResponse
from django.urls import URLPattern, path, re_path

from .api import unknown_url
from .files.views import files, vector_stores
from .views import assistants, messages, models, runs, threads

app_name = "engine"

View = Callable[..., HttpResponse]


def route(pattern: str, view: View, name: str = "") -> URLPattern:
    """`pattern` answered by `view`, named after it (`vector_store_files`: "vector-store-files")
    unless `name` says otherwise."""
    return path(pattern, view, name=name or view.__name__.replace("_", "-"))


THREAD = "threads/<str:thread_id>"
RUN = f"{THREAD}/runs/<str:run_id>"
STORE = "vector_stores/<str:vector_store_id>"
BATCH = f"{STORE}/file_batches/<str:batch_id>"

urlpatterns = [
    route("assistants", assistants.assistants),
    route("assistants/<str:assistant_id>", assistants.assistant),
    route("threads", threads.threads),
    route("threads/runs", threads.thread_and_run),
    route(THREAD, threads.thread),
    route(f"{THREAD}/messages", messages.messages),
    route(f"{THREAD}/messages/<str:message_id>", messages.message),
    route(f"{THREAD}/runs", runs.runs),
    route(RUN, runs.run),
    route(f"{RUN}/cancel", runs.cancel, "run-cancel"),
    route(f"{RUN}/submit_tool_outputs", runs.submit_tool_outputs, "run-submit-tool-outputs"),
    route(f"{RUN}/steps", runs.steps, "run-steps"),
    route(f"{RUN}/steps/<str:step_id>", runs.step, "run-step"),
    route("models", models.models),
    route("models/<path:model_id>", models.model),
    # Files and vector stores
    route("files", files.files),
    route("files/<str:file_id>", files.file),
    route("files/<str:file_id>/content", files.content, "file-content"),
    route("vector_stores", vector_stores.vector_stores),
    route(STORE, vector_stores.vector_store),
    route(f"{STORE}/search", vector_stores.search_vector_store, "vector-store-search"),
    route(f"{STORE}/files", vector_stores.vector_store_files),
    route(f"{STORE}/files/<str:file_id>", vector_stores.vector_store_file),
    route(f"{STORE}/files/<str:file_id>/content", vector_stores.vector_store_file_content),
    route(f"{STORE}/file_batches", vector_stores.file_batches),
    route(BATCH, vector_stores.file_batch),
    route(f"{BATCH}/cancel", vector_stores.cancel_file_batch, "file-batch-cancel"),
    route(f"{BATCH}/files", vector_stores.file_batch_files),
    re_path(r"^(?P<path>.*)$", unknown_url),
]
