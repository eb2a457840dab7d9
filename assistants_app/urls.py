"""The dashboard's pages. dashboard/urls.py mounts them behind the role check.

A page's URL name is its view's name (`connection_edit` routes to
`connections.connection_edit`); the few that differ are spelt out."""

from collections.abc import Callable

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import URLPattern, path, reverse_lazy

from .views import (
    assistants,
    connections,
    engine_keys,
    files,
    history,
    home,
    models_page,
    people,
    runs,
    settings,
    setup,
    sharing,
    threads,
    usage,
    vector_stores,
    waiting,
)
from .views import endpoints as endpoint_views

View = Callable[..., HttpResponse]


def page(route: str, view: View, name: str = "") -> URLPattern:
    """`route` shows `view`, and is named after it unless `name` says otherwise."""
    return path(route, view, name=name or view.__name__)


# A set-password link (people.person_link) signs its holder in, then opens the dashboard.
set_password = auth_views.PasswordResetConfirmView.as_view(
    post_reset_login=True,
    post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
    success_url=reverse_lazy("home"),
)

urlpatterns: list[URLPattern] = [
    # Pages whose URL names are not their views' names
    page("setup/", setup.first_run, "setup"),
    page("settings/", settings.settings_page, "settings"),
    page("threads/search/", threads.thread_sidebar, "thread_search"),
    page("set-password/<uidb64>/<token>/", set_password, "set_password"),
    # Home
    page("", home.home),
    page("healthz", home.healthz),
    # Assistants (check-schema/ before <assistant_id>/, which would take it)
    page("assistants/", assistants.assistant_list),
    page("assistants/new/", assistants.assistant_create),
    page("assistants/check-schema/", assistants.assistant_check_schema),
    page("assistants/import/", assistants.assistant_import),
    page("assistants/<str:assistant_id>/", assistants.assistant_edit),
    page("assistants/<str:assistant_id>/duplicate/", assistants.assistant_duplicate),
    page("assistants/<str:assistant_id>/export/", assistants.assistant_export),
    page("assistants/<str:assistant_id>/try/", assistants.assistant_try),
    page("assistants/<str:assistant_id>/try/new/", assistants.assistant_try_new),
    page("assistants/<str:assistant_id>/try/keep/", assistants.assistant_try_keep),
    page("assistants/<str:assistant_id>/try/open/", assistants.assistant_try_open),
    page("assistants/<str:assistant_id>/delete/", assistants.assistant_delete),
    # Threads and the chat pane
    page("threads/", threads.thread_list),
    page("threads/new/", threads.thread_create),
    page("threads/<int:pk>/", threads.thread_detail),
    page("threads/<int:pk>/earlier/", threads.thread_earlier),
    page("threads/<int:pk>/messages/", threads.thread_send),
    page("threads/<int:pk>/rename/", threads.thread_rename),
    page("threads/<int:pk>/delete/", threads.thread_delete),
    page("threads/<int:pk>/regenerate/", threads.thread_regenerate),
    page("threads/<int:pk>/messages/<str:message_id>/edit/", threads.message_edit),
    page("threads/<int:pk>/export/<str:fmt>/", threads.thread_export),
    # Runs
    page("threads/<int:pk>/runs/", runs.run_retry),
    page("threads/<int:pk>/runs/<str:run_id>/status/", runs.run_status),
    page("threads/<int:pk>/runs/<str:run_id>/cancel/", runs.run_cancel),
    page("threads/<int:pk>/runs/<str:run_id>/tool-outputs/", runs.run_submit_outputs),
    page("threads/<int:pk>/runs/<str:run_id>/steps/", runs.run_steps),
    # Files
    page("files/", files.file_list),
    page("files/upload/", files.file_upload),
    page("files/<str:file_id>/content/", files.file_content),
    page("files/<str:file_id>/delete/", files.file_delete),
    page("threads/<int:pk>/files/<str:file_id>/", files.thread_file),
    # Vector stores
    page("vector-stores/", vector_stores.vector_store_list),
    page("vector-stores/new/", vector_stores.vector_store_create),
    page("vector-stores/<str:store_id>/", vector_stores.vector_store_detail),
    page("vector-stores/<str:store_id>/status/", vector_stores.vector_store_status),
    page("vector-stores/<str:store_id>/files/", vector_stores.vector_store_add_files),
    page(
        "vector-stores/<str:store_id>/files/<str:file_id>/remove/",
        vector_stores.vector_store_remove_file,
    ),
    page("vector-stores/<str:store_id>/delete/", vector_stores.vector_store_delete),
    # People (administrators) and one's own password
    page("people/", people.people_list),
    page("people/add/", people.person_add),
    page("people/<int:pk>/", people.person_detail),
    page("people/<int:pk>/role/", people.person_role),
    page("people/<int:pk>/active/", people.person_active),
    page("people/<int:pk>/set-password-link/", people.person_link),
    page("account/password/", people.password_change),
    # Connections and engine keys (administrators)
    page("connections/", connections.connection_list),
    page("connections/add/", connections.connection_add),
    page("connections/<int:pk>/", connections.connection_edit),
    page("connections/<int:pk>/delete/", connections.connection_delete),
    page("connections/<int:pk>/default/", connections.connection_default),
    page("connections/<int:pk>/test/", connections.connection_test),
    page("engine-keys/", engine_keys.engine_key_list),
    page("engine-keys/new/", engine_keys.engine_key_create),
    page("engine-keys/<int:key_id>/revoke/", engine_keys.engine_key_revoke),
    page("engine-keys/<int:key_id>/access/", engine_keys.engine_key_access),
    # Models: the built-in engine's providers, models and aliases (administrators)
    page("models/", models_page.model_list),
    page("models/providers/add/", models_page.provider_add),
    page("models/providers/<int:pk>/", models_page.provider_edit),
    page("models/providers/<int:pk>/delete/", models_page.provider_delete),
    page("models/providers/<int:pk>/test/", models_page.provider_test),
    page("models/providers/<int:pk>/refresh/", models_page.provider_refresh),
    page("models/providers/<int:pk>/models/", models_page.provider_model_add),
    page("models/offered/<int:pk>/serve/", models_page.model_toggle),
    page("models/offered/<int:pk>/delete/", models_page.model_delete),
    page("models/aliases/", models_page.alias_add),
    page("models/aliases/<int:pk>/delete/", models_page.alias_delete),
    page("models/unknown/", models_page.unknown_models_set),
    # Usage: tokens and runs (everyone their own; administrators everyone's and the budgets)
    page("usage/", usage.usage_page),
    page("usage/usage.csv", usage.usage_csv),
    page("usage/budgets/", usage.budget_set),
    page("usage/budgets/<int:pk>/delete/", usage.budget_delete),
    # Thread sharing and an assistant's history (every member)
    page("threads/<int:pk>/sharing/", sharing.thread_sharing),
    page("assistants/<str:assistant_id>/history/", history.assistant_history),
    page("assistants/<str:assistant_id>/history/<int:pk>/restore/", history.assistant_restore),
    # Waiting for an answer: tool calls the team answers, saved replies
    page("waiting/", waiting.waiting_list),
    page("waiting/count/", waiting.waiting_count),
    page("waiting/<int:pk>/<str:run_id>/answer/", waiting.waiting_answer),
    page("waiting/<int:pk>/<str:run_id>/claim/", waiting.waiting_claim),
    page("waiting/<int:pk>/<str:run_id>/active/", waiting.waiting_active),
    page("waiting/<int:pk>/<str:run_id>/calls/<str:call_id>/", waiting.waiting_call_help),
    page("waiting/<int:pk>/<str:run_id>/save-reply/", waiting.reply_save),
    page("replies/", waiting.reply_list),
    page("replies/<int:reply_pk>/", waiting.reply_edit),
    page("replies/<int:reply_pk>/delete/", waiting.reply_delete),
    # Endpoints that answer function calls (administrators)
    page("endpoints/", endpoint_views.endpoint_list),
    page("endpoints/add/", endpoint_views.endpoint_add),
    page("endpoints/<int:pk>/", endpoint_views.endpoint_edit),
    page("endpoints/<int:pk>/delete/", endpoint_views.endpoint_delete),
    page("endpoints/<int:pk>/test/", endpoint_views.endpoint_test),
    page("assistants/<str:assistant_id>/answering/", endpoint_views.assistant_answering),
]
