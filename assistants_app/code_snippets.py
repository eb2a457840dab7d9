"""Ready code for one assistant: Python and Node with the official openai SDKs, and curl.

Each runs unchanged once OPENAI_API_KEY holds a key of the server at `base_url` (an engine key
for the built-in engine): it starts a thread with one message, runs the assistant, answers any
function call with a placeholder and prints the reply.
"""

from __future__ import annotations

import json

PYTHON = """\
# pip install openai
from openai import OpenAI

# The key comes from OPENAI_API_KEY.
client = OpenAI(base_url={base_url})

thread = client.beta.threads.create(messages=[{{"role": "user", "content": "Hello!"}}])
run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id={assistant_id})
while run.status == "requires_action":  # the assistant called functions: answer each
    outputs = [
        {{"tool_call_id": call.id, "output": '{{"result": "put the real answer here"}}'}}
        for call in run.required_action.submit_tool_outputs.tool_calls
    ]
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=outputs
    )
reply = client.beta.threads.messages.list(thread_id=thread.id, order="desc", limit=1).data[0]
print(reply.content[0].text.value)
"""

NODE = """\
// Save as hello.mjs; run with node hello.mjs (npm install openai).
import OpenAI from "openai";

// The key comes from OPENAI_API_KEY.
const client = new OpenAI({{ baseURL: {base_url} }});

const thread = await client.beta.threads.create({{
  messages: [{{ role: "user", content: "Hello!" }}],
}});
let run = await client.beta.threads.runs.createAndPoll(thread.id, {{
  assistant_id: {assistant_id},
}});
while (run.status === "requires_action") {{
  // The assistant called functions: answer each.
  const tool_outputs = run.required_action.submit_tool_outputs.tool_calls.map((call) => ({{
    tool_call_id: call.id,
    output: JSON.stringify({{ result: "put the real answer here" }}),
  }}));
  run = await client.beta.threads.runs.submitToolOutputsAndPoll(thread.id, run.id, {{
    tool_outputs,
  }});
}}
const reply = await client.beta.threads.messages.list(thread.id, {{ order: "desc", limit: 1 }});
console.log(reply.data[0].content[0].text.value);
"""

CURL = """\
# Start a thread with one message and run the assistant on it:
curl {base_url}/threads/runs \\
  -H "Authorization: Bearer $OPENAI_API_KEY" \\
  -H "Content-Type: application/json" \\
  -H "OpenAI-Beta: assistants=v2" \\
  -d '{body}'

# Then, with the thread_id and id it answers, ask until its status is "completed":
curl {base_url}/threads/THREAD_ID/runs/RUN_ID \\
  -H "Authorization: Bearer $OPENAI_API_KEY" -H "OpenAI-Beta: assistants=v2"
# and read the reply:
curl "{base_url}/threads/THREAD_ID/messages?limit=1" \\
  -H "Authorization: Bearer $OPENAI_API_KEY" -H "OpenAI-Beta: assistants=v2"
"""


def snippets(base_url: str, assistant_id: str) -> list[tuple[str, str, str]]:
    """(key, label, code) for each language."""
    quoted = {"base_url": json.dumps(base_url), "assistant_id": json.dumps(assistant_id)}
    body = json.dumps(
        {
            "assistant_id": assistant_id,
            "thread": {"messages": [{"role": "user", "content": "Hello!"}]},
        }
    )
    return [
        ("python", "Python", PYTHON.format(**quoted)),
        ("node", "Node", NODE.format(**quoted)),
        ("curl", "curl", CURL.format(base_url=base_url, body=body)),
    ]
