"""The dashboard's pages. dashboard/urls.py mounts them behind the role check."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

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

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("setup/", setup.first_run, name="setup"),
    path("settings/", settings.settings_page, name="settings"),
    # Assistants
    path("assistants/", assistants.assistant_list, name="assistant_list"),
    path("assistants/new/", assistants.assistant_create, name="assistant_create"),
    path("assistants/check-schema/", assistants.check_schema, name="assistant_check_schema"),
    path("assistants/import/", assistants.assistant_import, name="assistant_import"),
    path("assistants/<str:assistant_id>/", assistants.assistant_edit, name="assistant_edit"),
    path(
        "assistants/<str:assistant_id>/duplicate/",
        assistants.assistant_duplicate,
        name="assistant_duplicate",
    ),
    path(
        "assistants/<str:assistant_id>/export/",
        assistants.assistant_export,
        name="assistant_export",
    ),
    path("assistants/<str:assistant_id>/try/", assistants.assistant_try, name="assistant_try"),
    path(
        "assistants/<str:assistant_id>/try/new/",
        assistants.assistant_try_new,
        name="assistant_try_new",
    ),
    path(
        "assistants/<str:assistant_id>/try/keep/",
        assistants.assistant_try_keep,
        name="assistant_try_keep",
    ),
    path(
        "assistants/<str:assistant_id>/try/open/",
        assistants.assistant_try_open,
        name="assistant_try_open",
    ),
    path(
        "assistants/<str:assistant_id>/delete/",
        assistants.assistant_delete,
        name="assistant_delete",
    ),
    # Threads and the chat pane
    path("threads/", threads.thread_list, name="thread_list"),
    path("threads/new/", threads.thread_create, name="thread_create"),
    path("threads/<int:pk>/", threads.thread_detail, name="thread_detail"),
    path("threads/<int:pk>/earlier/", threads.thread_earlier, name="thread_earlier"),
    path("threads/<int:pk>/messages/", threads.thread_send, name="thread_send"),
    path("threads/<int:pk>/rename/", threads.thread_rename, name="thread_rename"),
    path("threads/<int:pk>/delete/", threads.thread_delete, name="thread_delete"),
    path("threads/search/", threads.thread_sidebar, name="thread_search"),
    path("threads/<int:pk>/regenerate/", threads.thread_regenerate, name="thread_regenerate"),
    path(
        "threads/<int:pk>/messages/<str:message_id>/edit/",
        threads.message_edit,
        name="message_edit",
    ),
    path("threads/<int:pk>/export/<str:fmt>/", threads.thread_export, name="thread_export"),
    # Runs
    path("threads/<int:pk>/runs/", runs.run_retry, name="run_retry"),
    path("threads/<int:pk>/runs/<str:run_id>/status/", runs.run_status, name="run_status"),
    path("threads/<int:pk>/runs/<str:run_id>/cancel/", runs.run_cancel, name="run_cancel"),
    path(
        "threads/<int:pk>/runs/<str:run_id>/tool-outputs/",
        runs.run_submit_outputs,
        name="run_submit_outputs",
    ),
    path("threads/<int:pk>/runs/<str:run_id>/steps/", runs.run_steps, name="run_steps"),
    # Files
    path("files/", files.file_list, name="file_list"),
    path("files/upload/", files.file_upload, name="file_upload"),
    path("files/<str:file_id>/content/", files.file_content, name="file_content"),
    path("files/<str:file_id>/delete/", files.file_delete, name="file_delete"),
    path("threads/<int:pk>/files/<str:file_id>/", files.thread_file, name="thread_file"),
    # Vector stores
    path("vector-stores/", vector_stores.store_list, name="vector_store_list"),
    path("vector-stores/new/", vector_stores.store_create, name="vector_store_create"),
    path("vector-stores/<str:store_id>/", vector_stores.store_detail, name="vector_store_detail"),
    path(
        "vector-stores/<str:store_id>/status/",
        vector_stores.store_status,
        name="vector_store_status",
    ),
    path(
        "vector-stores/<str:store_id>/files/",
        vector_stores.store_add_files,
        name="vector_store_add_files",
    ),
    path(
        "vector-stores/<str:store_id>/files/<str:file_id>/remove/",
        vector_stores.store_remove_file,
        name="vector_store_remove_file",
    ),
    path(
        "vector-stores/<str:store_id>/delete/",
        vector_stores.store_delete,
        name="vector_store_delete",
    ),
    # People (administrators) and one's own password
    path("people/", people.people_list, name="people_list"),
    path("people/add/", people.person_add, name="person_add"),
    path("people/<int:pk>/", people.person_detail, name="person_detail"),
    path("people/<int:pk>/role/", people.person_role, name="person_role"),
    path("people/<int:pk>/active/", people.person_active, name="person_active"),
    path("people/<int:pk>/set-password-link/", people.person_link, name="person_link"),
    path("account/password/", people.password_change, name="password_change"),
    path(
        "set-password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            post_reset_login=True,
            post_reset_login_backend="django.contrib.auth.backends.ModelBackend",
            success_url=reverse_lazy("home"),
        ),
        name="set_password",
    ),
    # Connections and engine keys (administrators)
    path("connections/", connections.connection_list, name="connection_list"),
    path("connections/add/", connections.connection_add, name="connection_add"),
    path("connections/<int:pk>/", connections.connection_edit, name="connection_edit"),
    path("connections/<int:pk>/delete/", connections.connection_delete, name="connection_delete"),
    path(
        "connections/<int:pk>/default/", connections.connection_default, name="connection_default"
    ),
    path("connections/<int:pk>/test/", connections.connection_test, name="connection_test"),
    path("engine-keys/", engine_keys.engine_key_list, name="engine_key_list"),
    path("engine-keys/new/", engine_keys.engine_key_create, name="engine_key_create"),
    path(
        "engine-keys/<int:key_id>/revoke/", engine_keys.engine_key_revoke, name="engine_key_revoke"
    ),
    path(
        "engine-keys/<int:key_id>/access/", engine_keys.engine_key_access, name="engine_key_access"
    ),
    # Models: the built-in engine's providers, models and aliases (administrators)
    path("models/", models_page.model_list, name="model_list"),
    path("models/providers/add/", models_page.provider_add, name="provider_add"),
    path("models/providers/<int:pk>/", models_page.provider_edit, name="provider_edit"),
    path("models/providers/<int:pk>/delete/", models_page.provider_delete, name="provider_delete"),
    path("models/providers/<int:pk>/test/", models_page.provider_test, name="provider_test"),
    path(
        "models/providers/<int:pk>/refresh/", models_page.provider_refresh, name="provider_refresh"
    ),
    path(
        "models/providers/<int:pk>/models/",
        models_page.provider_model_add,
        name="provider_model_add",
    ),
    path("models/offered/<int:pk>/serve/", models_page.model_toggle, name="model_toggle"),
    path("models/offered/<int:pk>/delete/", models_page.model_delete, name="model_delete"),
    path("models/aliases/", models_page.alias_add, name="alias_add"),
    path("models/aliases/<int:pk>/delete/", models_page.alias_delete, name="alias_delete"),
    path("models/unknown/", models_page.unknown_models_set, name="unknown_models_set"),
    # Usage: tokens and runs (everyone their own; administrators everyone's and the budgets)
    path("usage/", usage.usage_page, name="usage_page"),
    path("usage/usage.csv", usage.usage_csv, name="usage_csv"),
    path("usage/budgets/", usage.budget_set, name="budget_set"),
    path("usage/budgets/<int:pk>/delete/", usage.budget_delete, name="budget_delete"),
    # Thread sharing and an assistant's history (every member)
    path("threads/<int:pk>/sharing/", sharing.thread_sharing, name="thread_sharing"),
    path(
        "assistants/<str:assistant_id>/history/",
        history.assistant_history,
        name="assistant_history",
    ),
    path(
        "assistants/<str:assistant_id>/history/<int:pk>/restore/",
        history.assistant_restore,
        name="assistant_restore",
    ),
    # Waiting for an answer: tool calls the team answers, saved replies
    path("waiting/", waiting.waiting_list, name="waiting_list"),
    path("waiting/count/", waiting.waiting_count, name="waiting_count"),
    path("waiting/<int:pk>/<str:run_id>/answer/", waiting.waiting_answer, name="waiting_answer"),
    path("waiting/<int:pk>/<str:run_id>/claim/", waiting.waiting_claim, name="waiting_claim"),
    path("waiting/<int:pk>/<str:run_id>/active/", waiting.waiting_active, name="waiting_active"),
    path(
        "waiting/<int:pk>/<str:run_id>/calls/<str:call_id>/",
        waiting.call_help,
        name="waiting_call_help",
    ),
    path("waiting/<int:pk>/<str:run_id>/save-reply/", waiting.reply_save, name="reply_save"),
    path("replies/", waiting.reply_list, name="reply_list"),
    path("replies/<int:reply_pk>/", waiting.reply_edit, name="reply_edit"),
    path("replies/<int:reply_pk>/delete/", waiting.reply_delete, name="reply_delete"),
    # Endpoints that answer function calls (administrators)
    path("endpoints/", endpoint_views.endpoint_list, name="endpoint_list"),
    path("endpoints/add/", endpoint_views.endpoint_add, name="endpoint_add"),
    path("endpoints/<int:pk>/", endpoint_views.endpoint_edit, name="endpoint_edit"),
    path("endpoints/<int:pk>/delete/", endpoint_views.endpoint_delete, name="endpoint_delete"),
    path("endpoints/<int:pk>/test/", endpoint_views.endpoint_test, name="endpoint_test"),
    path(
        "assistants/<str:assistant_id>/answering/",
        endpoint_views.assistant_answering,
        name="assistant_answering",
    ),
]
