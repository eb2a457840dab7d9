"""The dashboard talks to the built-in engine over real HTTP: the live server, with the worker."""

import pytest
from django.core.cache import cache


@pytest.fixture
def engine(live_server, settings, engine_worker) -> str:
    """The built-in connection pointed at the live server's /v1, with runs progressing."""
    settings.ENGINE_BASE_URL = live_server.url + "/v1"
    cache.clear()  # run statuses and model lists from another test's engine must not leak
    yield settings.ENGINE_BASE_URL
    cache.clear()


@pytest.fixture
def api(engine):
    """The dashboard's own client for the built-in connection, to set up and check state."""
    from assistants_app.models import Connection
    from assistants_app.services import client_for

    return client_for(Connection.objects.default())


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


@pytest.fixture
def weather_assistant(api):
    """An assistant on the demo model with one function tool."""
    return api.assistants.create(model="demo", name="Weather helper", tools=[WEATHER_TOOL])


@pytest.fixture
def make_thread(api, weather_assistant):
    """make_thread(user) -> a ThreadRecord owned by user, with a real thread on the engine."""
    from assistants_app.models import Connection, ThreadRecord

    def make(user, *, title: str = ""):
        thread = api.threads.create()
        return ThreadRecord.objects.create(
            connection=Connection.objects.default(),
            thread_id=thread.id,
            owner=user,
            assistant_id=weather_assistant.id,
            assistant_name=weather_assistant.name,
            title=title,
        )

    return make
