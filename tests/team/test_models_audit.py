"""The Models page's changes are in the audit trail: who added, changed or deleted a provider
(what changed, never the key nor header values), served or hid a model, added or removed an
alias, and changed the setting for unknown names; from which address."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent
from engine.models import ModelAlias, ModelProvider
from tests.team.test_models_page import KEY, add, admin, server  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
SECRET_HEADER = "team-secret-header-value"


def events() -> list[AuditEvent]:
    return list(AuditEvent.objects.exclude(action=AuditEvent.Action.SIGNED_IN).order_by("pk"))


def test_provider_add_change_and_delete_are_recorded(admin, admin_user, server):  # noqa: F811
    add(admin, server)
    record = ModelProvider.objects.get()
    data = {"name": "renamed", "kind": "ollama", "base_url": server.base_url, "discover": "on",
            "enabled": "on", "api_key": "sk-another-secret-key-98765",
            "extra_headers": f"X-Team: {SECRET_HEADER}"}  # fmt: skip
    assert admin.post(reverse("provider_edit", args=[record.pk]), data).status_code == 302
    unchanged = {**data, "api_key": ""}  # an empty key field keeps the stored key
    admin.post(reverse("provider_edit", args=[record.pk]), unchanged)  # no change: no entry
    admin.post(reverse("provider_delete", args=[record.pk]))
    added, changed, deleted = events()
    assert [e.action for e in (added, changed, deleted)] == [
        "model_provider_added", "model_provider_changed", "model_provider_deleted",
    ]  # fmt: skip
    assert (added.object_type, added.object_id, added.object_label) == (
        "model_provider", str(record.pk), "local",
    )  # fmt: skip
    assert added.actor == admin_user and added.ip_address == "127.0.0.1"
    assert changed.changes == {
        "name": ["local", "renamed"],
        "api_key": ["(the old key)", "(a new key)"],
        "extra_headers": [[], ["X-Team"]],
    }
    assert deleted.object_label == "renamed"
    stored = json.dumps([[e.changes, e.details] for e in events()])
    assert KEY not in stored and "98765" not in stored and SECRET_HEADER not in stored


def test_models_aliases_and_the_setting_are_recorded(admin, server):  # noqa: F811
    add(admin, server)
    qwen = ModelProvider.objects.get().offered.get(model_id="qwen2.5")
    admin.post(reverse("model_toggle", args=[qwen.pk]), {"enabled": "0"})
    admin.post(reverse("provider_model_add", args=[qwen.provider_id]), {"name": "phi3"})
    admin.post(reverse("alias_add"), {"pattern": "gpt-4*", "target": "llama3.2"})
    admin.post(reverse("alias_delete", args=[ModelAlias.objects.get().pk]))
    admin.post(reverse("unknown_models_set"), {"unknown_models": "demo"})
    admin.post(reverse("model_delete", args=[qwen.pk]))
    trail = [(e.action, e.object_type, e.object_id, e.changes, e.details) for e in events()[1:]]
    assert trail == [
        ("models_changed", "model", "qwen2.5", {"enabled": [True, False]}, {"provider": "local"}),
        ("models_changed", "model", "phi3", {},
         {"provider": "local", "added": True, "enabled": True}),
        ("models_changed", "model_alias", "gpt-4*", {"target": [None, "llama3.2"]}, {}),
        ("models_changed", "model_alias", "gpt-4*", {}, {"removed": True}),
        ("models_changed", "model_setting", "unknown_models",
         {"unknown_models": ["auto", "demo"]}, {}),
        ("models_changed", "model", "qwen2.5", {}, {"removed": True}),
    ]  # fmt: skip
