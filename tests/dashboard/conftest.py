"""The dashboard's view tests use the shared fixtures of tests/conftest.py: the built-in engine
on the live server with its worker (`engine`), the dashboard's client for it (`api`), an
assistant with a function tool (`weather_assistant`) and threads owned by someone
(`make_thread`)."""

import pytest

from tests.fakes.chat_server import Reply

WORDS = " ".join(f"word{i:02d}" for i in range(40))


@pytest.fixture
def slow_assistant(api, chat_model, chat_server, settings):
    """An assistant on the fake chat model, which writes `WORDS` a word every 40 ms: a run
    still going when the page that started it is made."""
    settings.ENGINE_CHAT_TIMEOUT = 10.0
    chat_server.default = lambda body: Reply(text=WORDS, chunk_size=7, delay=0.04)
    return api.assistants.create(model=chat_model, name="Slow writer")
