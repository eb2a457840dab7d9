"""Keys on /v1 (issued with `engine_key`, the dashboard's derived key, revoked keys) and the
error envelope for what is not an API call: unknown URLs, wrong methods, wrong bodies."""

import io

import httpx
import openai
import pytest
from django.core.management import call_command

from engine.auth import dashboard_key
from engine.models import EngineKey


def client(engine_url: str, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=engine_url, api_key=key, max_retries=0, timeout=10)


def engine_key_command(*args: str) -> str:
    out = io.StringIO()
    call_command("engine_key", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_engine_key_command_create_list_revoke(engine_url):
    raw = engine_key_command("create", "--name", "CI pipeline")
    assert raw.startswith("sk-studio-") and len(raw) > 40
    key = EngineKey.objects.get(name="CI pipeline")
    assert key.key_hash != raw and raw not in key.key_hash and key.last_used_at is None

    assert client(engine_url, raw).beta.assistants.list().data == []
    key.refresh_from_db()
    assert key.last_used_at is not None

    listing = engine_key_command("list")
    assert "CI pipeline" in listing and key.prefix in listing and raw not in listing

    assert engine_key_command("revoke", str(key.pk)) == f"Key #{key.pk} 'CI pipeline' revoked."
    with pytest.raises(openai.AuthenticationError) as error:
        client(engine_url, raw).beta.assistants.list()
    assert error.value.body["code"] == "invalid_api_key"
    assert raw not in error.value.body["message"]
    assert "revoked" in engine_key_command("list")


def test_missing_or_wrong_key_is_a_401(engine_url):
    with pytest.raises(openai.AuthenticationError) as error:
        client(engine_url, "sk-studio-not-a-key").beta.assistants.list()
    assert error.value.status_code == 401 and error.value.body["type"] == "invalid_request_error"
    response = httpx.get(f"{engine_url}/assistants")
    assert response.status_code == 401
    assert response.json()["error"]["message"].startswith("You didn't provide an API key.")
    assert response.headers["x-request-id"].startswith("req_")
    # A near miss of the dashboard key (its last character changed) is refused too.
    key = dashboard_key()
    near_miss = key[:-1] + ("1" if key[-1] == "0" else "0")
    with pytest.raises(openai.AuthenticationError):
        client(engine_url, near_miss).beta.assistants.list()


def test_dashboard_key_is_derived_from_secret_key_and_accepted(engine_url, settings):
    key = dashboard_key()
    assert key == dashboard_key() and key.startswith("sk-studio-dashboard-")
    assert client(engine_url, key).beta.threads.create().id.startswith("thread_")
    assert not EngineKey.objects.exists()
    settings.SECRET_KEY = "another deployment's secret key, long enough to be realistic"
    assert dashboard_key() != key
    with pytest.raises(openai.AuthenticationError):
        client(engine_url, key).beta.assistants.list()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/nothing/here", 404),
        ("GET", "/assistants/", 404),
        ("PUT", "/assistants", 405),
        ("DELETE", "/threads", 405),
        ("GET", "/threads/runs", 405),
        ("PATCH", "/threads/thread_x/runs/run_x/cancel", 405),
    ],
)
def test_non_api_calls_get_json_errors(engine_url, engine_key, method, path, status):
    response = httpx.request(
        method, engine_url + path, headers={"Authorization": f"Bearer {engine_key}"}
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert response.headers["x-request-id"].startswith("req_")
    if status == 404:
        assert error["message"] == f"Invalid URL ({method} /v1{path})"


def test_bodies_that_are_not_json_objects(engine_url, engine_key):
    auth = {"Authorization": f"Bearer {engine_key}"}
    form = httpx.post(f"{engine_url}/assistants", data={"model": "demo"}, headers=auth)
    assert form.status_code == 415 and form.json()["error"]["code"] == "unsupported_content_type"
    broken = httpx.post(
        f"{engine_url}/assistants",
        content=b'{"model": ',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400 and broken.json()["error"]["code"] == "invalid_json"
    listed = httpx.post(f"{engine_url}/assistants", json=["demo"], headers=auth)
    assert listed.status_code == 400
    # An empty body is an empty object: the model is missing.
    empty = httpx.post(f"{engine_url}/assistants", headers=auth)
    assert empty.status_code == 400
    assert empty.json()["error"] == {
        "message": "Missing required parameter: 'model'.",
        "type": "invalid_request_error",
        "param": "model",
        "code": "missing_required_parameter",
    }


def test_models_lists_the_demo(openai_client):
    models = openai_client.models.list()
    demo = next(m for m in models.data if m.id == "demo")
    assert demo.object == "model" and demo.owned_by
    assert openai_client.models.retrieve("demo").id == "demo"
    with pytest.raises(openai.NotFoundError):
        openai_client.models.retrieve("no-such-model")


def test_an_oversized_body_is_a_413_not_a_500(engine_url, engine_key, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = httpx.post(
        f"{engine_url}/assistants",
        json={"model": "demo", "instructions": "x" * 20_000},
        headers={"Authorization": f"Bearer {engine_key}"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_run_is_reached_only_through_its_own_thread(openai_client):
    assistant = openai_client.beta.assistants.create(model="demo")
    run = openai_client.beta.threads.create_and_run(assistant_id=assistant.id)
    other = openai_client.beta.threads.create()
    runs = openai_client.beta.threads.runs
    assert runs.retrieve(run.id, thread_id=run.thread_id).id == run.id
    with pytest.raises(openai.NotFoundError) as error:
        runs.retrieve(run.id, thread_id=other.id)
    assert error.value.body["message"] == f"No run found with id '{run.id}'."
    with pytest.raises(openai.NotFoundError) as error:
        runs.retrieve(run.id, thread_id="thread_missing")
    assert error.value.body["message"] == "No thread found with id 'thread_missing'."
