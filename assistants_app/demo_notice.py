"""Whether an assistant's model runs on the built-in engine's offline demo model, so the chat
and the builder can say so once (and tell administrators where to connect a real model).

The dashboard knows the engine only through its API: /v1/models lists the demo as owned by
"assistant-studio". A model listed there is the demo's or a real provider's; a model nobody
lists runs on the demo when the demo is all the engine offers (a fresh install).
"""

from __future__ import annotations

from django.core.cache import cache

from .models import Connection
from .services import AssistantsClient, AssistantsError, client_for

DEMO_OWNER = "assistant-studio"


def model_owners(connection: Connection, client: AssistantsClient | None = None) -> dict[str, str]:
    """Each model the connection lists (its /models) and who serves it (owned_by), kept a
    minute: the list changes rarely, and the model pickers and this notice all read it."""
    key = f"dashboard:model-owners:{connection.pk}"
    owners = cache.get(key)
    if owners is None:
        listed = (client or client_for(connection, max_retries=0)).models.list().data
        owners = {model.id: model.owned_by for model in listed}
        cache.set(key, owners, 60)
    return owners


def runs_on_demo(connection: Connection | None, model: str) -> bool:
    if connection is None or not connection.is_builtin:
        return False
    try:
        owners = model_owners(connection)
    except AssistantsError:
        return False  # not known: say nothing rather than something wrong
    if model in owners:
        return owners[model] == DEMO_OWNER
    return bool(owners) and set(owners.values()) == {DEMO_OWNER}
