"""The Connections page (administrators): add, edit, delete, default, "Test connection";
API keys only ever shown masked."""

import pytest
from django.urls import reverse

from assistants_app.models import AuditEvent, Connection, ThreadRecord

pytestmark = pytest.mark.django_db

SECRET = "sk-team-secret-0123456789abcdef"
HTMX = {"HTTP_HX_REQUEST": "true"}


def hosted(**extra) -> Connection:
    fields = {"name": "Hosted", "kind": "openai", "base_url": "https://api.example.com/v1"}
    return Connection.objects.create(**{**fields, "api_key": SECRET, **extra})


def form(**extra) -> dict:
    return {"name": "Hosted", "kind": "openai", "base_url": "https://api.example.com/v1", **extra}


@pytest.mark.parametrize("who", ["owner", "teammate", "outsider"])
def test_members_get_403_everywhere(request, client, who):
    connection = hosted()
    client.force_login(request.getfixturevalue(who))
    pk = [connection.pk]
    pages = [("connection_list", []), ("connection_add", []), ("connection_edit", pk),
             ("connection_delete", pk)]  # fmt: skip
    for name, args in pages:
        assert client.get(reverse(name, args=args)).status_code == 403, name
    actions = [("connection_add", []), ("connection_edit", pk), ("connection_delete", pk),
               ("connection_default", pk), ("connection_test", pk)]  # fmt: skip
    for name, args in actions:
        assert client.post(reverse(name, args=args), form(name="Mine")).status_code == 403, name
    connection.refresh_from_db()
    assert connection.name == "Hosted" and not connection.is_default
    assert not Connection.objects.filter(name="Mine").exists()


def test_add_stores_the_key_encrypted_and_shows_it_masked(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("connection_add"), form(api_key=SECRET))
    assert response["Location"] == reverse("connection_list")
    connection = Connection.objects.get(name="Hosted")
    assert connection.api_key == SECRET and connection.created_by == admin_user
    page = client.get(reverse("connection_list")).content.decode()
    assert "…cdef" in page and SECRET not in page and SECRET[:-4] not in page
    edit = client.get(reverse("connection_edit", args=[connection.pk])).content.decode()
    assert "ending …cdef" in edit and SECRET not in edit
    event = AuditEvent.objects.get(action="connection_created")
    assert event.changes["api_key"] == [None, "…cdef"]
    assert SECRET not in str(event.changes)


def test_edit_keeps_replaces_or_removes_the_key(client, admin_user):
    connection = hosted()
    client.force_login(admin_user)
    url = reverse("connection_edit", args=[connection.pk])
    client.post(url, form(default_model="gpt-4o"))  # key left empty: kept
    connection.refresh_from_db()
    assert connection.api_key == SECRET and connection.default_model == "gpt-4o"
    client.post(url, form(default_model="gpt-4o", api_key="sk-another-key-99998888"))
    connection.refresh_from_db()
    assert connection.api_key == "sk-another-key-99998888"
    client.post(url, form(default_model="gpt-4o", clear_api_key="on"))
    connection.refresh_from_db()
    assert connection.api_key == ""
    diffs = [
        e.changes for e in AuditEvent.objects.filter(action="connection_changed").order_by("pk")
    ]
    assert diffs == [
        {"default_model": ["", "gpt-4o"]},
        {"api_key": ["…cdef", "…8888"]},
        {"api_key": ["…8888", ""]},
    ]


@pytest.mark.parametrize(
    "data,error",
    [
        (form(base_url=""), "Give the address of the server"),
        (form(base_url="not a url"), "Enter a valid URL."),
        (form(kind="azure"), "Azure needs an api-version"),
        (form(kind="builtin"), "There is already a connection to the built-in engine."),
        (form(name="Built-in engine"), "Connection with this Name already exists."),
    ],
)
def test_bad_input_is_a_field_error(client, admin_user, data, error):
    Connection.objects.default()  # the built-in engine's connection
    client.force_login(admin_user)
    response = client.post(reverse("connection_add"), data)
    assert response.status_code == 422
    assert error in response.content.decode()
    assert Connection.objects.count() == 1


def test_make_default(client, admin_user):
    connection = hosted()
    builtin = Connection.objects.default()
    client.force_login(admin_user)
    client.post(reverse("connection_default", args=[connection.pk]))
    assert Connection.objects.default() == connection
    builtin.refresh_from_db()
    assert not builtin.is_default
    assert AuditEvent.objects.filter(action="connection_made_default", actor=admin_user).exists()
    assert "Hosted" in client.get(reverse("settings")).content.decode()


def test_delete_refuses_the_default_and_connections_in_use(client, admin_user, owner):
    builtin = Connection.objects.default()
    used, spare = hosted(), hosted(name="Spare")
    ThreadRecord.objects.create(
        connection=used, thread_id="thread_1", owner=owner, assistant_id="a"
    )
    client.force_login(admin_user)
    refused = client.post(reverse("connection_delete", args=[builtin.pk]))
    assert refused.status_code == 422 and b"make another one the default first" in refused.content
    in_use = client.post(reverse("connection_delete", args=[used.pk]))
    assert in_use.status_code == 422 and b"1 thread use this connection" in in_use.content
    assert (
        b"Delete the connection"
        in client.get(reverse("connection_delete", args=[spare.pk])).content
    )
    gone = client.post(reverse("connection_delete", args=[spare.pk]))
    assert gone["Location"] == reverse("connection_list")
    assert set(Connection.objects.values_list("name", flat=True)) == {"Built-in engine", "Hosted"}
    assert AuditEvent.objects.get(action="connection_deleted").object_label == "Spare"


def test_test_connection_against_the_engine_lists_assistants_and_models(
    client, admin_user, api, engine_url, engine_key
):
    from engine.models import EngineKey

    api.assistants.create(model="demo", name="One")
    # The dashboard made it: a key sees it when an administrator gives it read access.
    EngineKey.objects.update(team_access="read")
    connection = hosted(base_url=engine_url, api_key=engine_key)
    client.force_login(admin_user)
    response = client.post(reverse("connection_test", args=[connection.pk]), **HTMX)
    html = response.content.decode()
    assert "<html" not in html and "It works." in html
    assert "It has 1 assistant and offers" in html and "demo" in html
    assert engine_key not in html
    # Without JavaScript the whole page comes back with the result in place.
    page = client.post(reverse("connection_test", args=[connection.pk])).content.decode()
    assert "<html" in page and "It works." in page


def test_test_connection_says_what_went_wrong(client, admin_user, engine_url, engine_key):
    client.force_login(admin_user)
    elsewhere = engine_url.removesuffix("/v1") + "/nothing"
    cases = [
        (hosted(name="Bad key", base_url=engine_url, api_key="sk-studio-wrong-key-1234"),
         "The backend rejected the API key (HTTP 401)."),
        (hosted(name="Bad path", base_url=elsewhere, api_key=engine_key),
         "not as an Assistants API"),
        (hosted(name="Down", base_url="http://127.0.0.1:9/v1"), "could not be reached"),
    ]  # fmt: skip
    for connection, words in cases:
        html = client.post(
            reverse("connection_test", args=[connection.pk]), **HTMX
        ).content.decode()
        assert "It does not work." in html and words in html, connection.name
        assert connection.api_key not in html


def test_a_backend_quoting_the_key_never_gets_it_onto_the_page(
    client, admin_user, echoing_backend, caplog
):
    connection = hosted(base_url=echoing_backend)
    client.force_login(admin_user)
    with caplog.at_level("DEBUG"):
        html = client.post(reverse("connection_test", args=[connection.pk]), **HTMX).content
    html = html.decode()
    assert "It does not work." in html and "Key …cdef is not allowed here." in html
    assert SECRET not in html
    assert SECRET not in caplog.text
