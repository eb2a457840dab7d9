"""Waiting for an answer in Chromium: the live count and the waiting page, answering there,
two people at once, claiming, browser notifications, functions answered by an endpoint (a
real local HTTP server) with approval, automatically, and failing; saved replies."""

from collections.abc import Callable, Iterator

import pytest
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page, expect

from assistants_app.models import RunRecord, SavedReply, ToolOutputSubmission
from tests.browser.support import console_errors, sign_in
from tests.dashboard import support
from tests.support import answered_by, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def start_unwatched(user, thread, city: str) -> RunRecord:
    """Send a message calling get_weather as a plain form post: no chat page follows the run."""
    return support.start_unwatched(user, thread, f"get_weather city={city}")


def count(page: Page):
    return page.locator("#waiting-count")


def item(page: Page, record: RunRecord):
    return page.locator(f"#waiting-{record.pk}")


def waiting_card(page: Page, live_server, record: RunRecord):
    """Once the count shows one run waiting, its card on the waiting page."""
    expect(count(page)).to_have_attribute("data-count", "1")
    page.goto(live_server.url + "/waiting/")
    return item(page, record)


@pytest.fixture
def person(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """person(user): a page signed in as `user` in a browser context of its own (its cookies,
    its permissions), closed after the test."""
    contexts: list[BrowserContext] = []

    def signed_in_as(user) -> Page:
        contexts.append(browser.new_context())
        page = contexts[-1].new_page()
        sign_in(page, live_server.url, user.username)
        return page

    yield signed_in_as
    for context in contexts:
        context.close()


def test_a_call_is_counted_live_answered_on_the_waiting_page_and_the_chat_shows_it(
    signed_in: Page, live_server, owner, make_thread
):
    page = signed_in
    errors = console_errors(page)
    expect(count(page)).to_have_attribute("data-count", "0")
    thread = make_thread(owner, title="Weather in Paris")
    record = start_unwatched(owner, thread, "Paris")
    expect(count(page)).to_have_attribute("data-count", "1")  # no reload
    expect(count(page)).to_contain_text("1")

    count(page).click()
    expect(page.get_by_role("heading", name="Waiting for an answer")).to_be_visible()
    card = item(page, record)
    expect(card.get_by_role("link", name="Weather in Paris")).to_be_visible()
    expect(card).to_contain_text("started by olivia")
    expect(card.locator("pre").first).to_have_text('{\n  "city": "Paris"\n}')
    expect(card).to_contain_text("left")
    card.get_by_label("Output of get_weather").fill('{"temperature": 18}')
    card.get_by_role("button", name="Submit outputs").click()
    expect(card).to_contain_text("Answered by olivia")
    expect(count(page)).to_have_attribute("data-count", "0")

    card.get_by_role("link", name="Open the chat").click()
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text('get_weather returned: {"temperature": 18}')
    assert ToolOutputSubmission.objects.get(run=record).how == "typed"
    assert not errors, errors


def test_two_people_answer_at_once_one_wins_the_other_is_told_who_and_what(
    person, live_server, owner, teammate, make_thread
):
    thread = make_thread(owner, title="Shared weather", sharing="team_chat")
    record = start_unwatched(owner, thread, "Rome")
    olivia, tomas = (waiting_card(person(user), live_server, record) for user in (owner, teammate))
    olivia.get_by_label("Output of get_weather").fill('"rainy"')
    tomas.get_by_label("Output of get_weather").fill('"sunny"')
    tomas.get_by_role("button", name="Submit outputs").click()
    expect(tomas).to_contain_text("Answered by tomas")
    olivia.get_by_role("button", name="Submit outputs").click()
    expect(olivia).to_contain_text("tomas answered these calls at")
    expect(olivia).to_contain_text("your outputs were not sent")
    expect(olivia.locator("pre")).to_have_text('"sunny"')
    expect(olivia.get_by_role("link", name="Open the chat")).to_be_visible()
    assert ToolOutputSubmission.objects.get(run=record).output == '"sunny"'


def test_claiming_is_shown_to_the_team_and_can_be_let_go(
    person, live_server, owner, teammate, make_thread
):
    thread = make_thread(owner, title="Claimed weather", sharing="team_chat")
    record = start_unwatched(owner, thread, "Lyon")
    tomas = waiting_card(person(teammate), live_server, record)
    tomas.get_by_role("button", name="I\u2019ll take this").click()
    expect(tomas).to_contain_text("You are answering this")

    olivias_page = person(owner)
    olivias_page.goto(live_server.url + "/waiting/")
    olivia = item(olivias_page, record)
    expect(olivia).to_contain_text("tomas is answering this")
    expect(olivia.get_by_role("button", name="I\u2019ll take this")).to_have_count(0)

    tomas.get_by_role("button", name="Let it go").click()
    expect(tomas.get_by_role("button", name="I\u2019ll take this")).to_be_visible()
    olivias_page.reload()
    expect(olivia.get_by_role("button", name="I\u2019ll take this")).to_be_visible()


# The Notification constructor, observed; the tab can be made to look hidden.
NOTIFICATIONS = """
window.__notes = [];
window.__hidden = false;
Object.defineProperty(Document.prototype, "hidden", { get: () => window.__hidden });
const Real = window.Notification;
class Observed {
  constructor(title, options) {
    this.title = title; this.options = options || {};
    window.__notes.push(this);
  }
  close() {}
  static get permission() { return Real.permission; }
  static requestPermission() { return Real.requestPermission(); }
}
window.Notification = Observed;
"""


def test_a_notification_is_shown_once_per_run_while_the_tab_is_in_the_background(
    person, live_server, owner, make_thread
):
    page = person(owner)
    page.context.grant_permissions(["notifications"], origin=live_server.url)
    page.context.add_init_script(NOTIFICATIONS)
    errors = console_errors(page)
    page.goto(live_server.url + "/waiting/")
    page.get_by_role("button", name="Notify me when a call waits").click()
    expect(page.get_by_role("button", name="Stop notifications")).to_be_visible()
    expect(page.locator("#notify-state")).to_contain_text("You are notified")
    expect(count(page)).to_have_attribute("data-count", "0")

    thread = make_thread(owner, title="Weather in Bern")
    page.evaluate("window.__hidden = true")
    record = start_unwatched(owner, thread, "Bern")
    expect(count(page)).to_have_attribute("data-count", "1")
    notes_after = lambda n: page.evaluate("window.__notes.length") > n  # noqa: E731
    wait_until(lambda: notes_after(0), message="a notification")
    notes = page.evaluate(
        "window.__notes.map(n => ({title: n.title, body: n.options.body, tag: n.options.tag}))"
    )
    assert notes == [
        {
            "title": "A tool call waits for an answer",
            "body": "Weather in Bern · 1 call",
            "tag": f"{record.run_id}:{record.waiting.round_id}",
        }
    ]
    # A second run: one more notification, the first is not repeated.
    other = make_thread(owner, title="Weather in Graz")
    start_unwatched(owner, other, "Graz")
    expect(count(page)).to_have_attribute("data-count", "2")
    wait_until(lambda: notes_after(1), message="a second notification")
    bodies = page.evaluate("window.__notes.map(n => n.options.body)")
    assert bodies == ["Weather in Bern · 1 call", "Weather in Graz · 1 call"]
    # Clicking it opens the item.
    page.evaluate("window.__notes[0].onclick()")
    page.wait_for_url(f"**/waiting/#waiting-{record.pk}")
    # A run that starts waiting while the tab is in front is not announced.
    page.evaluate("window.__hidden = false; window.__notes = []")
    start_unwatched(owner, make_thread(owner, title="Weather in Oslo"), "Oslo")
    expect(count(page)).to_have_attribute("data-count", "3")
    assert page.evaluate("window.__notes.length") == 0
    assert not errors, errors


def test_with_approval_the_card_shows_the_answer_and_the_edited_text_is_what_the_run_gets(
    signed_in: Page, live_server, owner, make_thread, weather_assistant, remote
):
    page = signed_in
    errors = console_errors(page)
    answered_by(weather_assistant, "approval", remote)
    record = start_unwatched(owner, make_thread(owner, title="Approved weather"), "Paris")
    card = waiting_card(page, live_server, record)
    expect(card).to_contain_text("Weather service answered")
    expect(card).to_contain_text("check it below, edit it if needed")
    box = card.get_by_label("Output of get_weather")
    expect(box).to_have_value('{"city": "Paris", "temperature": 21}')
    assert remote.received[0]["body"]["arguments"] == {"city": "Paris"}
    assert not ToolOutputSubmission.objects.exists()  # a person approves first
    box.fill('{"city": "Paris", "temperature": 25, "checked": true}')
    card.get_by_role("button", name="Submit outputs").click()
    expect(card).to_contain_text("Answered by olivia")
    card.get_by_role("link", name="Open the chat").click()
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text('"temperature": 25, "checked": true')
    submission = ToolOutputSubmission.objects.get(run=record)
    assert submission.how == "endpoint_edited"
    assert submission.output == '{"city": "Paris", "temperature": 25, "checked": true}'
    assert not errors, errors


def test_automatic_answers_need_nobody_and_the_run_steps_say_so(
    signed_in: Page, live_server, owner, make_thread, weather_assistant, remote
):
    page = signed_in
    answered_by(weather_assistant, "automatic", remote)
    thread = make_thread(owner, title="Automatic weather")
    record = start_unwatched(owner, thread, "Oslo")
    wait_until(
        lambda: ToolOutputSubmission.objects.filter(run=record).exists(),
        message="the endpoint's answer to be submitted with nobody there",
    )
    page.goto(live_server.url + thread.get_absolute_url())
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text('get_weather returned: {"city": "Oslo", "temperature": 21}')
    expect(count(page)).to_have_attribute("data-count", "0")
    page.goto(live_server.url + reverse("run_steps", args=[thread.pk, record.run_id]))
    expect(page.locator("main")).to_contain_text("answered automatically by the endpoint (HTTP 200")
    assert ToolOutputSubmission.objects.get(run=record).submitted_by is None


@pytest.mark.parametrize(
    ("behaviour", "words"),
    [
        ("slow", "did not answer within 0.5 s"),
        ("500", "answered HTTP 500"),
        ("large", "larger than 1,000,000 bytes"),
        ("redirect", "redirected to another host (example.org)"),
    ],
)
def test_a_failing_endpoint_is_told_in_words_and_the_person_answers(
    signed_in: Page, live_server, owner, make_thread, weather_assistant, remote, behaviour, words
):
    page = signed_in
    remote.behaviour = behaviour
    answered_by(weather_assistant, "automatic", remote, timeout_seconds=0.5)
    thread = make_thread(owner, title=f"Failing weather ({behaviour})")
    record = start_unwatched(owner, thread, "Lima")
    card = waiting_card(page, live_server, record)
    expect(card).to_contain_text("The endpoint Weather service could not answer.")
    expect(card).to_contain_text(words)
    expect(card).to_contain_text("nothing was submitted")
    box = card.get_by_label("Output of get_weather")
    expect(box).to_have_value("")
    assert not ToolOutputSubmission.objects.exists()
    box.fill('"typed by hand"')
    card.get_by_role("button", name="Submit outputs").click()
    expect(card).to_contain_text("Answered by olivia")
    assert ToolOutputSubmission.objects.get(run=record).how == "typed"


def test_a_saved_reply_is_offered_on_the_next_card(
    signed_in: Page, live_server, owner, make_thread
):
    page = signed_in
    errors = console_errors(page)
    first = start_unwatched(owner, make_thread(owner, title="Saved weather"), "Nice")
    card = waiting_card(page, live_server, first)
    card.get_by_label("Output of get_weather").fill('{"sky": "clear"}')
    card.locator("summary", has_text="Save as a reply").click()
    card.get_by_label("Name for this reply").fill("Clear sky")
    card.get_by_role("button", name="Save the output as a reply").click()
    expect(card).to_contain_text("Saved as “Clear sky” for get_weather.")
    card.get_by_role("button", name="Submit outputs").click()
    expect(card).to_contain_text("Answered by olivia")
    expect(count(page)).to_have_attribute("data-count", "0")

    second = start_unwatched(owner, make_thread(owner, title="More weather"), "Nice")
    expect(count(page)).to_have_attribute("data-count", "1")
    page.reload()
    card = item(page, second)
    card.get_by_role("button", name="Clear sky").click()
    box = card.get_by_label("Output of get_weather")
    expect(box).to_have_value('{"sky": "clear"}')
    box.fill('{"sky": "clear", "wind": "light"}')  # edited before submitting
    card.get_by_role("button", name="Submit outputs").click()
    expect(card).to_contain_text("Answered by olivia")
    submission = ToolOutputSubmission.objects.get(run=second)
    assert submission.output == '{"sky": "clear", "wind": "light"}'

    page.get_by_role("link", name="Saved replies").click()
    row = page.locator(f"#reply-{SavedReply.objects.get().pk}")
    expect(row).to_contain_text("Clear sky")
    expect(row).to_contain_text("olivia")
    assert not errors, errors
