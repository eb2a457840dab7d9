from django.urls import path

from .urls_files import urlpatterns as files_urlpatterns
from .urls_team import urlpatterns as team_urlpatterns
from .views import assistants, home, runs, settings, setup, threads

urlpatterns = [
    path("", home.home, name="home"),
    path("healthz", home.healthz, name="healthz"),
    path("setup/", setup.first_run, name="setup"),
    path("settings/", settings.settings_page, name="settings"),
    # Assistants
    path("assistants/", assistants.assistant_list, name="assistant_list"),
    path("assistants/new/", assistants.assistant_create, name="assistant_create"),
    path("assistants/check-schema/", assistants.check_schema, name="assistant_check_schema"),
    path("assistants/<str:assistant_id>/", assistants.assistant_edit, name="assistant_edit"),
    path(
        "assistants/<str:assistant_id>/duplicate/",
        assistants.assistant_duplicate,
        name="assistant_duplicate",
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
]

urlpatterns += files_urlpatterns  # Files, Vector stores, a chat's files
urlpatterns += team_urlpatterns  # People, connections, engine keys, sharing, history
