"""Objects come back with their keys in the order they were sent, on every database: a
function's parameters, a response format's schema, metadata, a run's copy of the tools and the
dashboard's audit trail. (PostgreSQL's jsonb would sort them shortest first.)"""

from assistants_app.models import AuditEvent

# Longest first, so any store that sorts keys (by length or alphabetically) changes the order.
ORDER = ["postal_code_of_the_city", "country", "city", "zip"]
PROPERTIES = {name: {"type": "string"} for name in ORDER}
METADATA = {name: "x" for name in ORDER}


def function(name: str) -> dict:
    return {
        "type": "function",
        "function": {"name": name, "parameters": {"type": "object", "properties": PROPERTIES}},
    }


def test_an_assistant_keeps_its_schemas_and_metadata_in_order(openai_client):
    created = openai_client.beta.assistants.create(
        model="demo",
        tools=[function("where")],
        metadata=METADATA,
        response_format={
            "type": "json_schema",
            "json_schema": {
                "name": "place",
                "schema": {"type": "object", "properties": PROPERTIES},
            },
        },
    )
    again = openai_client.beta.assistants.retrieve(created.id)
    assert list(again.tools[0].function.parameters["properties"]) == ORDER
    assert list(again.metadata) == ORDER
    assert list(again.response_format.json_schema.schema_["properties"]) == ORDER


def test_a_run_and_a_message_keep_their_order(openai_client):
    assistant = openai_client.beta.assistants.create(model="demo")
    thread = openai_client.beta.threads.create()
    message = openai_client.beta.threads.messages.create(
        thread.id, role="user", content="hello", metadata=METADATA
    )
    run = openai_client.beta.threads.runs.create(
        thread.id, assistant_id=assistant.id, tools=[function("where")], metadata=METADATA
    )
    run = openai_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert list(run.tools[0].function.parameters["properties"]) == ORDER
    assert list(run.metadata) == ORDER
    message = openai_client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert list(message.metadata) == ORDER


def test_the_audit_trail_keeps_the_order_of_what_changed(db, owner):
    event = AuditEvent.objects.create(
        actor=owner, action=AuditEvent.Action.ASSISTANT_CREATED, changes=METADATA
    )
    assert list(AuditEvent.objects.get(pk=event.pk).changes) == ORDER


def test_equality_still_works_on_them(openai_client):
    from engine.models import Assistant

    created = openai_client.beta.assistants.create(model="demo", metadata=METADATA)
    assert Assistant.objects.filter(metadata=METADATA).get().id == created.id
    assert not Assistant.objects.exclude(tools=[]).filter(pk=created.id).exists()
