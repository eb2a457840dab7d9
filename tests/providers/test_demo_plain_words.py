"""The demo model understands plain words (engine/providers/demo_words.py, demo_code.py): a
message asks for a function by its words, values said in passing become its arguments, the
engine's tools answer questions, plot CSV files and solve equations, and greetings or unrelated
messages are never taken for any of that. Unit tests on the provider, then the same through the
official SDK against the engine."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

import jsonschema
import pytest

from engine.files import tooldefs
from engine.providers.base import ChatMessage, ChatRequest, ToolCall
from engine.providers.demo import DemoProvider
from engine.providers.demo_code import solve_code

from .streams import assemble
from .test_demo import WEATHER_PARAMETERS, ask


def function(name: str, description: str, parameters: dict[str, Any] | None = None):
    spec: dict[str, Any] = {"name": name, "description": description}
    spec["parameters"] = parameters or {"type": "object", "properties": {}}
    return {"type": "function", "function": spec}


def params(**properties: dict[str, Any]) -> dict[str, Any]:
    """An object schema that requires every one of `properties`."""
    return {"type": "object", "properties": properties, "required": list(properties)}


WEATHER = function("get_current_weather", "Current weather for a location", WEATHER_PARAMETERS)
TIME = function("get_time", "The local time in a city", params(city={"type": "string"}))
ORDER_STATUS = function(
    "order_status",
    "Where an order is and when it arrives",
    params(order_id={"type": "string"}),
)
CANCEL_ORDER = function("cancel_order", "Cancel an order", params(order_id={"type": "string"}))


def calls_for(text: str, *tools: dict[str, Any], **options: Any) -> list[tuple[str, dict]]:
    """(name, arguments) of each call the demo makes; every arguments object validates."""
    result = ask(text, tools=list(tools), **options)
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    made = [(c["name"], json.loads(c["arguments"])) for c in result.calls]
    for name, arguments in made:
        jsonschema.validate(arguments, schemas[name])
    return made


# -- which function ----------------------------------------------------------------------------


def test_a_question_about_the_weather_calls_the_weather_function_with_the_city():
    assert calls_for("What's the weather like in Oslo today?", WEATHER, TIME) == [
        ("get_current_weather", {"location": "Oslo", "unit": "celsius"})
    ]


def test_words_match_their_stems_and_name_parts_split_on_underscores_dashes_and_capitals():
    assert calls_for("Any weathers in Paris?", WEATHER)[0][0] == "get_current_weather"
    assert calls_for("I ordered a lamp: order 12345", ORDER_STATUS) == [
        ("order_status", {"order_id": "12345"})
    ]
    camel = function("getInvoiceTotal", "Amount due", params(invoice={}))
    dashed = function("lookup-shipping-label", "A label", params())
    assert calls_for("What do I owe on my invoices?", camel)[0][0] == "getInvoiceTotal"
    assert calls_for("print the shipping label please", dashed)[0][0] == "lookup-shipping-label"


def test_two_words_of_the_description_or_parameters_call_it_one_does_not():
    rates = function(
        "fx",
        "Exchange rate between two currencies",
        params(base={"type": "string"}),
    )
    assert calls_for("What is the exchange rate for yen?", rates)[0][0] == "fx"
    assert calls_for("The rate of growth is slowing", rates) == []


@pytest.mark.parametrize(
    "text",
    [
        "Hello",
        "hi there!",
        "Thanks a lot",
        "Good morning :)",
        "How are you?",
        "Tell me a joke",
        "What should I pack for Lisbon?",
        "",
    ],
)
def test_greetings_and_unrelated_messages_call_nothing(text):
    result = ask(text, tools=[WEATHER, TIME, ORDER_STATUS])
    assert result.calls == []
    assert result.finish == "stop"
    if text:
        assert result.text.startswith(f'You said: "{text}".')


def test_a_word_of_a_name_that_is_generic_calls_nothing():
    # "get", "current", "find"… are in every other function's name: they say nothing.
    assert calls_for("Can you get me the current one?", WEATHER) == []


def test_the_exact_name_still_wins_and_key_value_pairs_beat_values_said_in_passing():
    assert calls_for("get_time city=Lima, not the weather", WEATHER, TIME) == [
        ("get_time", {"city": "Lima"})
    ]
    assert calls_for("weather in Paris location=Oslo", WEATHER) == [
        ("get_current_weather", {"location": "Oslo", "unit": "celsius"})
    ]


def test_several_functions_asked_for_are_called_in_parallel_unless_turned_off():
    text = "What's the weather and the time in Tokyo?"
    assert calls_for(text, WEATHER, TIME) == [
        ("get_current_weather", {"location": "Tokyo", "unit": "celsius"}),
        ("get_time", {"city": "Tokyo"}),
    ]
    assert [name for name, _ in calls_for(text, WEATHER, TIME, parallel_tool_calls=False)] == [
        "get_current_weather"
    ]


def test_a_function_that_does_something_not_asked_for_is_not_called():
    # Both names hold "order"; only one of them cancels it, and nobody asked to cancel.
    for tools in ((CANCEL_ORDER, ORDER_STATUS), (ORDER_STATUS, CANCEL_ORDER)):
        assert calls_for("Where is my order #A-991?", *tools) == [
            ("order_status", {"order_id": "A-991"})
        ]
    assert calls_for("Please cancel order 12345", ORDER_STATUS, CANCEL_ORDER) == [
        ("cancel_order", {"order_id": "12345"})
    ]


def test_tool_choice_is_honoured_for_plain_words():
    assert calls_for("What's the weather in Oslo?", WEATHER, tool_choice="none") == []
    forced = {"type": "function", "function": {"name": "get_time"}}
    assert calls_for("What's the weather in Oslo?", WEATHER, TIME, tool_choice=forced) == [
        ("get_time", {"city": "Oslo"})
    ]
    assert calls_for("the time in Rome", WEATHER, TIME, tool_choice="required") == [
        ("get_time", {"city": "Rome"})
    ]


# -- values said in passing ------------------------------------------------------------------


def test_places_numbers_and_enum_values_are_read_from_the_sentence():
    [(_, arguments)] = calls_for(
        "Weather in Rio de Janeiro for 3 days, in Fahrenheit please", WEATHER
    )
    assert arguments == {"location": "Rio de Janeiro", "unit": "fahrenheit", "days": 3}
    [(_, arguments)] = calls_for("how's the weather in new york", WEATHER)
    assert arguments["location"] == "New York"


def test_a_value_the_schema_refuses_is_not_used():
    # days has maximum 7, and it is optional: left out rather than invented.
    [(_, arguments)] = calls_for("Weather in Oslo for 30 days", WEATHER)
    assert arguments == {"location": "Oslo", "unit": "celsius"}


LOOKUP = function("track_order", "Track an order", params(order_id={"type": "integer"}))
MAIL = function(
    "send_email",
    "Send an e-mail",
    params(
        to={"type": "string", "format": "email"},
        subject={"type": "string"},
    ),
)
BOOKING = function(
    "book_table",
    "Reserve a table at the restaurant",
    params(
        date={"type": "string", "format": "date"},
        guests={"type": "integer", "minimum": 1},
    ),
)
THERMOSTAT = function("set_temperature", "Set the heating", params(degrees={"type": "number"}))


@pytest.mark.parametrize(
    ("tool", "text", "arguments"),
    [
        (LOOKUP, "track my order no. 4410", {"order_id": 4410}),
        (
            MAIL,
            'Email ada@example.com with subject "Lunch at noon"',
            {"to": "ada@example.com", "subject": "Lunch at noon"},
        ),
        (
            BOOKING,
            "Book a table for 4 guests on 2025-06-01",
            {"date": "2025-06-01", "guests": 4},
        ),
        (THERMOSTAT, "set the temperature to 21.5", {"degrees": 21.5}),
    ],
    ids=["order_id", "email_and_quote", "date_and_number", "decimal"],
)
def test_order_ids_emails_dates_quotes_and_numbers(tool, text, arguments):
    assert calls_for(text, tool) == [(tool["function"]["name"], arguments)]


def test_a_search_function_gets_the_words_that_are_not_its_own():
    search = function("search_products", "Search the catalogue", params(query={"type": "string"}))
    assert calls_for("search products for red running shoes", search) == [
        ("search_products", {"query": "red running shoes"})
    ]


def test_patterns_decide_which_id_fits_on_the_bounded_engine():
    strict = function(
        "order_status",
        "Where an order is",
        params(order_id={"type": "string", "pattern": "^[A-Z]-[0-9]+$"}),
    )
    assert calls_for("order 12345 or maybe #A-991?", strict) == [
        ("order_status", {"order_id": "A-991"})
    ]


def test_what_the_message_does_not_say_is_made_up_validly():
    [(_, arguments)] = calls_for("What's the weather like?", WEATHER)
    assert arguments == {"location": "example", "unit": "celsius"}


def test_huge_messages_and_schemas_stay_cheap():
    many = {f"p{i}": {"type": "string", "description": "a city"} for i in range(5000)}
    tools = [
        function(f"weather_{i}", "weather " * 2000, {**params(**many), "required": list(many)[:3]})
        for i in range(128)
    ]
    text = '"' + "Oslo weather in Paris order #A-1 " * 7_500  # 256,000 characters: the most
    started = time.thread_time()  # CPU time: what other processes do on the machine is not ours
    result = ask(text, tools=tools)
    assert time.thread_time() - started < 5  # seconds (about 1)
    assert result.calls and len(result.calls) <= 128


# -- code interpreter and file search --------------------------------------------------------


CODE_TOOL = tooldefs.code_interpreter_definition("/mnt/data", ["notes.txt", "sales.csv"])
BARE_CODE_TOOL = tooldefs.code_interpreter_definition("/mnt/data", [])
SEARCH_TOOL = tooldefs.file_search_definition(["handbook.txt"])
BARE_SEARCH_TOOL = tooldefs.file_search_definition([])


def test_plot_words_write_code_for_the_attached_csv():
    result = ask("plot the sales by month", tools=[CODE_TOOL])
    [call] = result.calls
    assert call["name"] == "code_interpreter"
    code = json.loads(call["arguments"])["code"]
    assert "FILE = 'sales.csv'" in code
    assert "VALUE_WORDS = ['sales']" in code and "BY_WORDS = ['month']" in code
    compile(code, "<demo>", "exec")


def test_plotting_without_a_csv_says_so_instead_of_running_code():
    result = ask("Please plot the sales by month", tools=[BARE_CODE_TOOL])
    assert result.calls == []
    assert result.text.startswith("I can plot a CSV file given to the code interpreter")


def _run(code: str, folder) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("what is 3x + 11 = 14", "x = 1"),
        ("Solve for y: 2(y + 1) = 7", "y = 5/2"),
        ("x^2 - 4 = 0 — solve it?", "x = -2 or x = 2"),
        ("what is 17 * 23 / 2", "17 * 23 / 2 = 391/2 \u2248 195.5"),
        ("x^3 = 8", "This is not a linear or quadratic equation; I only solve those."),
    ],
)
def test_equations_are_solved_by_code_that_runs(text, printed, tmp_path):
    result = ask(text, tools=[BARE_CODE_TOOL])
    [call] = result.calls
    assert _run(json.loads(call["arguments"])["code"], tmp_path) == printed


@pytest.mark.parametrize(
    "text", ["see https://example.com/?a=1", "the socks are in the drawer", "Hello there"]
)
def test_no_code_for_a_setting_in_a_link_a_drawer_or_a_greeting(text):
    assert ask(text, tools=[CODE_TOOL]).calls == []


def test_only_numbers_and_operators_of_the_message_reach_the_code():
    code = solve_code("""what is 3x + 11 = 14"); import os; os.system("id'); ('""")
    assert code is not None and "import os" not in code and "system" not in code
    assert solve_code("what is 9^9^9") is None  # a power of a power: refused
    assert solve_code("2^1000000 = x") is None  # powers stay small


def test_a_csv_name_cannot_break_out_of_its_string(tmp_path):
    name = "a'\"\nb.csv"
    tool = tooldefs.code_interpreter_definition("/mnt/data", [name])
    [call] = ask("plot it", tools=[tool]).calls
    compile(json.loads(call["arguments"])["code"], "<demo>", "exec")


def test_the_plot_code_picks_columns_by_words_and_sums_by_label(tmp_path):
    (tmp_path / "sales.csv").write_text(
        "region,month,units,sales\nN,Jan,1,10\nS,Jan,2,5\nN,Feb,3,30\n"
    )
    [call] = ask("plot the sales by month", tools=[CODE_TOOL]).calls
    code = json.loads(call["arguments"])["code"]
    printed = _run(code + "\nprint(labels, values)", tmp_path)
    assert printed.splitlines() == [
        "Plotted sales by month from sales.csv: 2 points.",
        "['Jan', 'Feb'] [15.0, 30.0]",
    ]
    [call] = ask("chart it", tools=[CODE_TOOL]).calls  # no column named: the first ones
    printed = _run(json.loads(call["arguments"])["code"], tmp_path)
    assert printed == "Plotted units by region from sales.csv: 2 points."


def test_file_search_greets_a_greeting_instead_of_searching():
    result = ask("hello!", tools=[SEARCH_TOOL])
    assert result.calls == []
    assert result.text == (
        "Hello! I am the demo model (scripted, not an AI). You can ask me about your files."
    )
    thanks = ask("thanks", tools=[SEARCH_TOOL, CODE_TOOL]).text
    assert thanks.startswith("You are welcome!") and "solve an equation" in thanks


def test_file_search_with_no_files_says_so_instead_of_searching():
    result = ask("What is the refund policy?", tools=[BARE_SEARCH_TOOL])
    assert result.calls == []
    assert result.text.startswith("There are no files to search yet")


def test_a_question_is_searched():
    [call] = ask("What is the refund policy?", tools=[SEARCH_TOOL]).calls
    assert call["name"] == "file_search"
    assert json.loads(call["arguments"]) == {"query": "What is the refund policy?"}


def searched(question: str, *passages: tuple[str, str]) -> str:
    results = [
        {"file_name": name, "score": 0.5, "content": [{"type": "text", "text": text}]}
        for name, text in passages
    ]
    messages = [
        ChatMessage("user", question),
        ChatMessage("assistant", None, [ToolCall("call_1", "file_search", "{}")]),
        ChatMessage(
            "tool", tooldefs.file_search_output(0, question, results), tool_call_id="call_1"
        ),
    ]
    request = ChatRequest(model="demo", messages=messages, tools=[SEARCH_TOOL])
    return assemble(DemoProvider().stream(request)).text


def test_the_answer_quotes_the_sentence_of_the_passage_that_answers():
    answer = searched(
        "How many days do refunds take?",
        ("faq.txt", "Refunds are handled by the shop."),
        ("handbook.txt", "Shipping is free. Refunds are paid within 14 days. Call us."),
    )
    assert answer == 'From handbook.txt: "Refunds are paid within 14 days."【0:1†handbook.txt】'


def test_a_passage_sharing_a_stray_word_is_not_an_answer():
    answer = searched(
        "What's the weather like in Oslo today?",
        ("news.txt", "Today the office is closed."),
    )
    assert answer == "I searched the files and found nothing about that."


# -- through the official SDK, against the engine ------------------------------------------------


def test_sdk_plain_words_call_the_function_and_its_output_is_answered(openai_client, engine_worker):
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[WEATHER, TIME, CANCEL_ORDER, ORDER_STATUS]
    )
    thread = openai_client.beta.threads.create(
        messages=[{"role": "user", "content": "What's the weather like in Oslo today?"}]
    )
    run = openai_client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, poll_interval_ms=20
    )
    assert run.status == "requires_action", run.last_error
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert call.function.name == "get_current_weather"
    assert json.loads(call.function.arguments) == {"location": "Oslo", "unit": "celsius"}
    run = openai_client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": '{"temperature": 4}'}],
        poll_interval_ms=20,
    )
    assert run.status == "completed"
    reply = openai_client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert reply.content[0].text.value == 'get_current_weather returned: {"temperature": 4}'

    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "Where is my order #A-991?"}]},
        poll_interval_ms=20,
    )
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "order_status",
        {"order_id": "A-991"},
    )


@pytest.mark.parametrize("text", ["Hello!", "Tell me a joke"])
def test_sdk_greetings_and_unrelated_messages_are_answered_in_words(
    openai_client, engine_worker, text
):
    assistant = openai_client.beta.assistants.create(
        model="demo", tools=[WEATHER, TIME, ORDER_STATUS]
    )
    run = openai_client.beta.threads.create_and_run_poll(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": text}]},
        poll_interval_ms=20,
    )
    assert run.status == "completed" and run.required_action is None
    steps = openai_client.beta.threads.runs.steps.list(run.id, thread_id=run.thread_id).data
    assert [s.type for s in steps] == ["message_creation"]
    reply = openai_client.beta.threads.messages.list(run.thread_id, limit=1).data[0]
    assert reply.content[0].text.value.startswith(f'You said: "{text}".')
