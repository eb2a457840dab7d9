"""URLs of the team pages: people, connections and engine keys (administrators), one's own
password, the set-password link, thread sharing and an assistant's history."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from .views import connections, engine_keys, history, people, sharing

urlpatterns = [
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
    # Thread sharing and an assistant's history (every member)
    path("threads/<int:pk>/sharing/", sharing.thread_sharing, name="thread_sharing"),
    path(
        "assistants/<str:assistant_id>/history/",
        history.assistant_history,
        name="assistant_history",
    ),
]
