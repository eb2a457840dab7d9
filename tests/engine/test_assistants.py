"""/v1/assistants through the official openai SDK over real HTTP: the seed documents'
examples, modify, delete, lists with order/limit and cursors in both directions."""

import openai
import pytest

MATH_TUTOR = (
    "You are a personal math tutor. When asked a question, write and run Python code to "
    "answer the question."
)
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather information for a location",
        "parameters": {
            "type": "object",
            "properties": {
                "location": {
                    "type": "string",
                    "description": "The city and state, e.g. San Francisco, CA",
                }
            },
            "required": ["location"],
        },
    },
}


def test_math_tutor_example(openai_client):
    tutor = openai_client.beta.assistants.create(
        name="Math Tutor",
        instructions=MATH_TUTOR,
        tools=[{"type": "code_interpreter"}],
        model="gpt-4o",
    )
    assert tutor.id.startswith("asst_") and len(tutor.id) > 20
    assert tutor.object == "assistant"
    assert (tutor.name, tutor.model, tutor.instructions) == ("Math Tutor", "gpt-4o", MATH_TUTOR)
    assert [tool.type for tool in tutor.tools] == ["code_interpreter"]
    assert tutor.description is None
    assert tutor.metadata == {}
    assert (tutor.temperature, tutor.top_p, tutor.response_format) == (1.0, 1.0, "auto")

    fetched = openai_client.beta.assistants.retrieve(tutor.id)
    assert fetched.model_dump() == tutor.model_dump()


def test_multi_tool_assistant_accepts_v1_retrieval(openai_client):
    analyst = openai_client.beta.assistants.create(
        name="Data Analyst",
        instructions="You are a data analyst assistant.",
        tools=[{"type": "code_interpreter"}, {"type": "retrieval"}, WEATHER],
        model="gpt-4",
    )
    assert [tool.type for tool in analyst.tools] == ["code_interpreter", "file_search", "function"]
    function = analyst.tools[2].function
    assert function.name == "get_weather"
    assert function.parameters["required"] == ["location"]


def test_modify_keeps_what_is_not_given(openai_client):
    tutor = openai_client.beta.assistants.create(
        name="Math Tutor", instructions=MATH_TUTOR, model="gpt-4o", metadata={"team": "maths"}
    )
    updated = openai_client.beta.assistants.update(
        tutor.id,
        instructions="You are an advanced math tutor. Solve problems step by step.",
        name="Advanced Math Tutor",
        tools=[{"type": "code_interpreter"}, {"type": "retrieval"}],
    )
    assert updated.name == "Advanced Math Tutor"
    assert updated.instructions.startswith("You are an advanced math tutor")
    assert [tool.type for tool in updated.tools] == ["code_interpreter", "file_search"]
    assert updated.model == "gpt-4o" and updated.metadata == {"team": "maths"}
    assert openai_client.beta.assistants.retrieve(tutor.id).name == "Advanced Math Tutor"


def test_delete_then_404(openai_client):
    tutor = openai_client.beta.assistants.create(name="Math Tutor", model="gpt-4o")
    deleted = openai_client.beta.assistants.delete(tutor.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (tutor.id, True, "assistant.deleted")
    with pytest.raises(openai.NotFoundError) as error:
        openai_client.beta.assistants.retrieve(tutor.id)
    assert error.value.body["message"] == f"No assistant found with id '{tutor.id}'."
    with pytest.raises(openai.NotFoundError):
        openai_client.beta.assistants.delete(tutor.id)


def test_list_order_and_limit(openai_client):
    made = [openai_client.beta.assistants.create(name=f"A{i}", model="demo").id for i in range(5)]
    newest_first = openai_client.beta.assistants.list(order="desc", limit=20)
    assert [a.id for a in newest_first.data] == made[::-1]
    assert newest_first.has_more is False
    assert newest_first.first_id == made[-1] and newest_first.last_id == made[0]
    oldest_first = openai_client.beta.assistants.list(order="asc", limit=2)
    assert [a.id for a in oldest_first.data] == made[:2]
    assert oldest_first.has_more is True
    # The SDK's auto-pagination follows `after` until has_more is false.
    assert [a.id for a in openai_client.beta.assistants.list(order="asc", limit=2)] == made


def test_pagination_both_directions_across_pages(openai_client):
    made = [openai_client.beta.assistants.create(name=f"P{i}", model="demo").id for i in range(7)]
    pages, after = [], None
    while True:
        page = openai_client.beta.assistants.list(
            limit=3, order="desc", after=after or openai.NOT_GIVEN
        )
        pages.append([a.id for a in page.data])
        if not page.has_more:
            break
        after = page.last_id
    assert pages == [made[6:3:-1], made[3:0:-1], made[0:1]]
    # Back from the last page: `before` gives the items just before the cursor, in list order.
    back = openai_client.beta.assistants.list(limit=3, order="desc", before=pages[2][0])
    assert [a.id for a in back.data] == pages[1] and back.has_more is True
    back = openai_client.beta.assistants.list(limit=3, order="desc", before=back.first_id)
    assert [a.id for a in back.data] == pages[0] and back.has_more is False
    ascending = openai_client.beta.assistants.list(limit=2, order="asc", before=made[4])
    assert [a.id for a in ascending.data] == made[2:4]


@pytest.mark.parametrize(
    ("fields", "param"),
    [
        ({}, "model"),
        ({"model": "demo", "name": "x" * 257}, "name"),
        ({"model": "demo", "description": "x" * 513}, "description"),
        ({"model": "demo", "instructions": "x" * 256_001}, "instructions"),
        ({"model": "demo", "tools": [{"type": "code_interpreter"}] * 129}, "tools"),
        ({"model": "demo", "tools": [{"type": "browser"}]}, "tools[0]"),
        (
            {"model": "demo", "tools": [{"type": "function", "function": {"name": "bad name"}}]},
            "tools[0].function.name",
        ),
        (
            {
                "model": "demo",
                "tools": [
                    {"type": "function", "function": {"name": "f", "parameters": {"type": 3}}}
                ],
            },
            "tools[0].function.parameters",
        ),
        ({"model": "demo", "metadata": {f"k{i}": "v" for i in range(17)}}, "metadata"),
        ({"model": "demo", "metadata": {"k": "v" * 513}}, "metadata"),
        ({"model": "demo", "temperature": 2.5}, "temperature"),
        ({"model": "demo", "top_p": -0.1}, "top_p"),
        ({"model": "demo", "response_format": {"type": "yaml"}}, "response_format"),
        (
            {"model": "demo", "tool_resources": {"file_search": {"vector_store_ids": ["a", "b"]}}},
            "tool_resources.file_search.vector_store_ids",
        ),
        ({"model": "demo", "colour": "blue"}, "colour"),
    ],
)
def test_invalid_create_is_a_400_naming_the_param(openai_client, fields, param):
    with pytest.raises(openai.BadRequestError) as error:
        openai_client.post("/assistants", body=fields, cast_to=object)
    assert error.value.status_code == 400
    assert error.value.body["param"] == param
    assert error.value.body["type"] == "invalid_request_error"
    assert param.split(".")[0].split("[")[0] in error.value.body["message"]


def test_invalid_list_parameters(openai_client):
    for query, param in [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"order": "up"}, "order"),
        ({"after": "asst_nope"}, "after"),
    ]:
        with pytest.raises(openai.BadRequestError) as error:
            openai_client.beta.assistants.list(extra_query=query)
        assert error.value.body["param"] == param
