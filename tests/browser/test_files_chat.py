"""Files in Chromium: a CSV attached in the chat and plotted by the code interpreter (the image
shows in the chat), a vector store made on its page and cited in an answer, and the drop zone
of the assistant form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from engine.files import sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = b"month,total\nJan,10\nFeb,30\nMar,20\n"
PLOT = """Please plot my data.

```python
import csv
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open("sales.csv")))
print("months:", len(rows), "sum:", sum(int(r["total"]) for r in rows))
plt.bar([r["month"] for r in rows], [int(r["total"]) for r in rows])
```"""


@pytest.fixture(autouse=True)
def _files(settings, tmp_path, tmp_path_factory):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.ENGINE_SANDBOX_DIR = tmp_path_factory.getbasetemp() / "browser-sandbox"
    settings.ENGINE_EMBEDDINGS = "off"
    settings.ENGINE_CODE_INTERPRETER_MODE = "sandbox"
    sandbox.forget_probe()


def start_chat(page: Page, live_server, assistant) -> None:
    page.goto(f"{live_server.url}/assistants/{assistant.id}/")
    page.get_by_role("button", name="Chat with this assistant").click()
    expect(page.get_by_text("No messages yet.")).to_be_visible()


def test_plot_an_attached_csv_and_see_the_image(signed_in: Page, live_server, api):
    page = signed_in
    analyst = api.assistants.create(
        model="demo", name="Analyst", tools=[{"type": "code_interpreter"}]
    )
    start_chat(page, live_server, analyst)

    page.locator("summary", has_text="Attach files").click()
    page.get_by_label("Attach files").set_input_files(
        {"name": "sales.csv", "mimeType": "text/csv", "buffer": CSV}
    )
    expect(page.get_by_text(f"Chosen: sales.csv ({len(CSV)} bytes)")).to_be_visible()
    page.get_by_label("Use them for").select_option("code_interpreter")
    page.get_by_role("textbox", name="Message").fill(PLOT)
    page.get_by_role("button", name="Send").click()

    expect(page.locator(".turn.user").last.get_by_role("link", name="sales.csv")).to_be_visible()
    reply = page.locator(".turn.assistant").last
    step = reply.locator(".code-step")
    expect(step).to_contain_text('rows = list(csv.DictReader(open("sales.csv")))')
    expect(step.locator(".logs")).to_have_text("months: 3 sum: 60")
    image = reply.locator(".message-images img")
    expect(image).to_be_visible()
    expect(image).to_have_js_property("complete", True)
    width = image.evaluate("img => img.naturalWidth")
    assert width > 100, "the figure did not load"
    # The composer is ready again, with nothing left attached.
    expect(page.get_by_role("textbox", name="Message")).to_be_enabled()
    assert page.get_by_label("Attach files").evaluate("input => input.files.length") == 0


def test_a_vector_store_made_on_its_page_is_cited(signed_in: Page, live_server, api):
    page = signed_in
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Vector stores").click()
    expect(page.get_by_role("heading", name="No vector stores yet")).to_be_visible()
    page.get_by_role("link", name="New vector store").first.click()
    page.get_by_label("Name").fill("Manuals")
    page.get_by_label("Upload files").set_input_files(
        {
            "name": "warranty.txt",
            "mimeType": "text/plain",
            "buffer": b"The blender warranty lasts two years and covers the motor.",
        }
    )
    page.get_by_role("button", name="Create the vector store").click()
    expect(page.get_by_text("All 1 file read")).to_be_visible()  # polled while reading
    page.get_by_role("searchbox", name="Search").fill("motor")
    page.get_by_role("button", name="Search").click()
    expect(page.locator(".search-result")).to_contain_text("covers the motor")

    nav.get_by_role("link", name="Assistants").click()
    page.goto(live_server.url + "/assistants/new/")
    page.get_by_label("Name", exact=True).fill("Helper")
    page.get_by_label("Model").fill("demo")
    page.get_by_label("File search", exact=True).check()
    page.get_by_label("Vector store").select_option(label="Manuals (1 files)")
    page.get_by_role("button", name="Create assistant").click()
    expect(page.get_by_text("Created the assistant Helper.")).to_be_visible()

    page.get_by_role("button", name="Chat with this assistant").click()
    page.get_by_role("textbox", name="Message").fill("How long is the warranty?")
    page.get_by_role("button", name="Send").click()
    reply = page.locator(".turn.assistant").last
    expect(reply).to_contain_text("The blender warranty lasts two years")
    citation = reply.locator(".markdown a.file-link")
    expect(citation).to_have_text("warranty.txt")
    with page.expect_download() as download:
        citation.click()
    assert download.value.suggested_filename == "warranty.txt"


def test_drop_files_on_the_assistant_form(signed_in: Page, live_server, api, settings):
    settings.DASHBOARD_FILE_MAX_BYTES = 100
    page = signed_in
    page.goto(live_server.url + "/assistants/new/")
    zone = page.locator("[data-dropzone]").filter(has=page.locator("#id_files-code_upload"))

    def drop(name: str, size: int) -> None:
        data = page.evaluate_handle(
            """([name, size]) => {
                const dt = new DataTransfer();
                dt.items.add(new File(["x".repeat(size)], name, {type: "text/csv"}));
                return dt;
            }""",
            [name, size],
        )
        zone.dispatch_event("drop", {"dataTransfer": data})

    drop("big.csv", 150)
    expect(zone.locator(".dropzone-status")).to_have_text(
        "Too large: big.csv (150 bytes). Files may be at most 100 bytes each."
    )
    page.reload()
    drop("small.csv", 10)
    drop("more.csv", 20)
    expect(zone.locator(".dropzone-status")).to_have_text(
        "Chosen: small.csv (10 bytes), more.csv (20 bytes)"
    )
    page.get_by_label("Name", exact=True).fill("Dropped")
    page.get_by_label("Model").fill("demo")
    page.get_by_label("Code interpreter", exact=True).check()
    page.get_by_role("button", name="Create assistant").click()
    expect(page.get_by_text("Created the assistant Dropped.")).to_be_visible()
    expect(page.locator("#assistant-files")).to_contain_text("small.csv")
    (assistant,) = api.assistants.list().data
    assert len(assistant.tool_resources.code_interpreter.file_ids) == 2
