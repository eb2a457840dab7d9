"""How the engine's own tools look to a model, and the text they give back.

file_search and code_interpreter reach the model as two function tools with these names; the
executor runs the calls itself (engine.files.tools) instead of stopping for tool outputs.
Providers and the demo model import only this module: no database here.
"""

from __future__ import annotations

import re
from typing import Any

FILE_SEARCH = "file_search"
CODE_INTERPRETER = "code_interpreter"
NAMES = (FILE_SEARCH, CODE_INTERPRETER)

# A citation the model writes after a statement: 【call:result†file name】, as OpenAI's models do.
CITATION = re.compile(r"【(\d+):(\d+)†([^】]*)】")
RESULT_HEADER = re.compile(r"^【(\d+):(\d+)†([^】]*)】 score ([0-9.]+)$", re.MULTILINE)
SANDBOX_LINK = re.compile(r"sandbox:(/mnt/data/[^\s)\]\"'<>]+)")
PYTHON_BLOCK = re.compile(r"```(?:python|py)[ \t]*\r?\n(.*?)```", re.DOTALL | re.IGNORECASE)


# A file name or excerpt holding 【, 】 or † (or a line break, in a name) could end a marker
# early or forge one: in the text the model reads they become look-alikes.
_MARKER_SAFE = str.maketrans({"【": "[", "】": "]", "†": "+", "\n": " ", "\r": " "})
_TEXT_SAFE = str.maketrans({"【": "[", "】": "]"})


def marker_name(file_name: str) -> str:
    """A file name as it appears inside a citation marker."""
    return file_name.translate(_MARKER_SAFE)


def _shown(file_names: list[str]) -> str:
    """The first twenty names, for a tool's description."""
    return ", ".join(file_names[:20]) + (" …" if len(file_names) > 20 else "")


def _function_tool(name: str, description: str, argument: str, about: str) -> dict[str, Any]:
    """A function tool taking one required string `argument`."""
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": {argument: {"type": "string", "description": about}},
                "required": [argument],
            },
        },
    }


def file_search_definition(file_names: list[str]) -> dict[str, Any]:
    shown = _shown([marker_name(name) for name in file_names])
    description = (
        "Search the files the user gave you"
        + (f" ({shown})" if shown else "")
        + ". Returns numbered excerpts, best first, each headed by a marker such as "
        "【0:1†report.pdf】. Base your answer on them and cite each excerpt you use by "
        "copying its marker right after the sentence it supports."
    )
    return _function_tool(FILE_SEARCH, description, "query", "What to look for: key words.")


def code_interpreter_definition(workdir: str, file_names: list[str]) -> dict[str, Any]:
    shown = _shown(file_names)
    description = (
        "Run Python 3 code in a sandbox without network access and return what it "
        f"prints. The working folder is {workdir}"
        + (f"; it holds the user's files: {shown}" if shown else "")
        + ". Files you write there reach the user when you link them as "
        "sandbox:/mnt/data/<name>. Matplotlib figures left open are shown to the user "
        "as images. Each call starts a new process: variables do not carry over, files "
        "do."
    )
    return _function_tool(CODE_INTERPRETER, description, "code", "The Python code.")


def file_search_output(call_number: int, query: str, results: list[dict[str, Any]]) -> str:
    query = marker_name(query)
    if not results:
        return f'No results for "{query}" in the files.'
    blocks = [f'Results for "{query}":']
    for index, result in enumerate(results):
        text = "".join(part.get("text", "") for part in result["content"]).translate(_TEXT_SAFE)
        marker = f"【{call_number}:{index}†{marker_name(result['file_name'])}】"
        blocks.append(f"{marker} score {result['score']:.2f}\n{text}")
    return "\n\n".join(blocks)


def parse_file_search_output(output: str) -> list[tuple[str, str, str]]:
    """(marker, file name, text) of each result in a file_search output, best first."""
    headers = list(RESULT_HEADER.finditer(output))
    results = []
    for position, header in enumerate(headers):
        end = headers[position + 1].start() if position + 1 < len(headers) else len(output)
        marker = header.group(0).split(" score ")[0]
        results.append((marker, header.group(3), output[header.end() : end].strip()))
    return results


def code_interpreter_output(logs: str, images: int, files: list[str]) -> str:
    parts = [logs if logs else "(no output)"]
    if images:
        parts.append(f"{images} figure(s) shown to the user as images.")
    if files:
        parts.append("Files written: " + ", ".join(f"sandbox:{WORKDIR}/{f}" for f in files))
    return "\n\n".join(parts)


WORKDIR = "/mnt/data"
