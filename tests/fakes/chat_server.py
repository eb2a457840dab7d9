"""A small local server that speaks the OpenAI chat-completions protocol, for tests and benchmarks.

It is the only stand-in for a remote model in this project: the engine's chat-completions
provider talks to it over real HTTP. Plain Python API:

    server = FakeChatServer(models=["fake-model"])
    base_url = server.start()            # "http://127.0.0.1:PORT/v1"
    server.script(Reply(text="Hi!"), Fail(429, retry_after=1), Hang(5))
    ...                                  # each chat request takes the next scripted response;
    server.requests                      # when the script runs out, `default` answers
    server.stop()

Streaming (`"stream": true`) answers Server-Sent Events exactly as OpenAI does: a role chunk,
content deltas, tool-call deltas split across chunks (id and name first, then argument pieces),
a finish chunk, a usage chunk when `stream_options.include_usage` asks for it, and `[DONE]`.
Without `stream` it answers one `chat.completion` object. It also serves `GET …/models`.
Any path ending in `/chat/completions` is accepted, so Azure-style deployment URLs work too.

With an `embedder` (text → vector, e.g. `word_embedder()`) it also answers `POST …/embeddings`
as OpenAI does; without one that path is a 404, like chat-only servers.

With a `tokenizer` (text → token ids, e.g. `char_tokenizer()`) it counts usage with it and
answers `POST /tokenize` at the server's root, as llama.cpp's server (`{"content"}` →
`{"tokens"}`) and vLLM (`{"prompt"}` → `{"count", "tokens", "max_model_len"}`) do; without one
that path is a 404. `models_fail` makes `GET …/models` answer that error (an outage), and
`flavour="ollama"` serves Ollama's native `GET /api/tags` beside the OpenAI-style paths.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """A successful answer: text and/or tool calls."""

    text: str = ""
    # Each: {"name": str, "arguments": str | dict, "id": optional str}
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None  # default: "tool_calls" with tool calls, else "stop"
    usage: dict[str, int] | None = None  # default: counted; see `send_usage`
    send_usage: bool = True  # False: behave like servers that ignore include_usage
    chunk_size: int = 3  # characters of content / arguments per streamed chunk
    delay: float = 0.0  # seconds between streamed chunks


@dataclass
class Fail:
    """An HTTP error answer, in OpenAI's error envelope unless `body` is given."""

    status: int = 500
    message: str = "The server had an error while processing your request."
    retry_after: float | None = None
    body: str | None = None
    repeat: int = 1  # how many consecutive requests get this answer


@dataclass
class Hang:
    """Say nothing for `seconds` (a request timeout); with `after_chunks`, send that many
    chunks of a streamed reply first and then stall mid-stream."""

    seconds: float = 30.0
    after_chunks: int = 0


@dataclass
class Raw:
    """Bytes as given, for malformed streams and odd servers."""

    body: str
    status: int = 200
    content_type: str = "text/event-stream"


Response = Reply | Fail | Hang | Raw


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None


def echo(body: dict[str, Any]) -> Reply:
    """The default answer: repeats the latest user message."""
    said = next(
        (m.get("content") for m in reversed(body.get("messages") or []) if m.get("role") == "user"),
        "",
    )
    return Reply(text=f"Echo: {said}")


class FakeChatServer:
    def __init__(
        self,
        models: list[str] | None = None,
        default: Callable[[dict[str, Any]], Response] = echo,
        host: str = "127.0.0.1",
        port: int = 0,
        embedder: Callable[[str], list[float]] | None = None,
        tokenizer: Callable[[str], list[int]] | None = None,
    ) -> None:
        self.models = list(models or ["fake-model"])
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.models_fail: Fail | None = None
        self.flavour = "openai"  # "ollama": also GET /api/tags
        self.default = default
        self.requests: list[RecordedRequest] = []
        self._script: deque[Response] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._address = (host, port)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- control --------------------------------------------------------------------------

    def start(self) -> str:
        """Serve in a background thread; returns the base URL ("http://127.0.0.1:PORT/v1")."""
        self._stopping.clear()
        self._server = _Server(self._address, _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host}:{port}/v1"
        return self.base_url

    def stop(self) -> None:
        self._stopping.set()  # releases Hang responses at once
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeChatServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def script(self, *responses: Response) -> None:
        """Queue answers for the next chat requests, in order."""
        with self._lock:
            for response in responses:
                count = response.repeat if isinstance(response, Fail) else 1
                self._script.extend([response] * count)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # -- used by the handler --------------------------------------------------------------

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self, body: dict[str, Any]) -> Response:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self.default(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # hung handlers must not block stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients closing kept-alive connections (or giving up on a hang) are normal here.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _chunks(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), max(1, size))]


def _stream_chunks(
    reply: Reply, body: dict[str, Any], tokenizer: Callable[[str], list[int]] | None = None
) -> Iterator[dict[str, Any]]:
    """The chat.completion.chunk objects for `reply`, as OpenAI streams them."""
    base = {
        "id": "chatcmpl-fake",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": body.get("model", ""),
    }

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

    yield chunk({"role": "assistant", "content": ""})
    for piece in _chunks(reply.text, reply.chunk_size):
        yield chunk({"content": piece})
    for index, call in enumerate(reply.tool_calls):
        arguments = _arguments(call)
        first = {
            "index": index,
            "id": call.get("id") or f"call_fake{index}",
            "type": "function",
            "function": {"name": call["name"], "arguments": ""},
        }
        yield chunk({"tool_calls": [first]})
        for piece in _chunks(arguments, reply.chunk_size):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, _finish(reply))
    if reply.send_usage and (body.get("stream_options") or {}).get("include_usage"):
        yield {**base, "choices": [], "usage": _usage(reply, body, tokenizer)}


def _arguments(call: dict[str, Any]) -> str:
    arguments = call.get("arguments", "{}")
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


def _finish(reply: Reply) -> str:
    return reply.finish_reason or ("tool_calls" if reply.tool_calls else "stop")


def _usage(
    reply: Reply, body: dict[str, Any], tokenizer: Callable[[str], list[int]] | None = None
) -> dict[str, int]:
    if reply.usage is not None:
        return reply.usage
    if tokenizer is not None:
        # The server's own count: every message's tokens and a few of chat template each.
        texts = [str(m.get("content") or "") for m in body.get("messages") or []]
        texts += [json.dumps(t) for t in body.get("tools") or []]
        prompt = sum(len(tokenizer(t)) + 4 for t in texts)
        completion = len(tokenizer(reply.text + "".join(map(_arguments, reply.tool_calls))))
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        return {**usage, "total_tokens": prompt + completion}
    prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages") or [])
    completion = len(reply.text) + sum(len(_arguments(c)) for c in reply.tool_calls)
    usage = {"prompt_tokens": prompt // 4 + 1, "completion_tokens": completion // 4 + 1}
    return {**usage, "total_tokens": usage["prompt_tokens"] + usage["completion_tokens"]}


def _completion(
    reply: Reply, body: dict[str, Any], tokenizer: Callable[[str], list[int]] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
    if reply.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.get("id") or f"call_fake{index}",
                "type": "function",
                "function": {"name": call["name"], "arguments": _arguments(call)},
            }
            for index, call in enumerate(reply.tool_calls)
        ]
    answer = {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", ""),
        "choices": [{"index": 0, "message": message, "finish_reason": _finish(reply)}],
    }
    if reply.send_usage:
        answer["usage"] = _usage(reply, body, tokenizer)
    return answer


def _handler_for(fake: FakeChatServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections
        timeout = 60  # idle keep-alive connections end eventually

        def setup(self) -> None:
            super().setup()
            # Small SSE writes must not wait for delayed ACKs (Nagle): ~40 ms each otherwise.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet tests

        def _recorded(self, body: Any) -> RecordedRequest:
            parts = urlsplit(self.path)
            request = RecordedRequest(
                method=self.command,
                path=parts.path,
                query={k: v[0] for k, v in parse_qs(parts.query).items()},
                headers={k.lower(): v for k, v in self.headers.items()},
                body=body,
            )
            fake._record(request)
            return request

        def do_GET(self) -> None:
            request = self._recorded(None)
            tags = request.path == "/api/tags" and fake.flavour == "ollama"
            if not (request.path.endswith("/models") or tags):
                self._json(404, {"error": {"message": f"No route {request.path}"}})
            elif fake.models_fail is not None:
                self._fail(fake.models_fail)
            elif tags:
                self._json(200, {"models": [{"name": m, "model": m} for m in fake.models]})
            else:
                data = [
                    {"id": m, "object": "model", "created": 0, "owned_by": "fake"}
                    for m in fake.models
                ]
                self._json(200, {"object": "list", "data": data})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                body = None
            request = self._recorded(body)
            if request.path.endswith("/embeddings") and fake.embedder is not None:
                self._embeddings(body)
                return
            if request.path == "/tokenize" and fake.tokenizer is not None:
                self._tokenize(body)
                return
            if not request.path.endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"No route {request.path}"}})
                return
            if not isinstance(body, dict):
                self._json(400, {"error": {"message": "The body is not a JSON object."}})
                return
            response = fake._next(body)
            if isinstance(response, Fail):
                self._fail(response)
            elif isinstance(response, Raw):
                self._send(response.status, response.content_type, response.body.encode())
            elif isinstance(response, Hang) and not (response.after_chunks and body.get("stream")):
                fake._stopping.wait(response.seconds)
                self.close_connection = True
            elif body.get("stream"):
                self._stream(response, body)
            else:
                self._json(200, _completion(response, body, fake.tokenizer))

        def _embeddings(self, body: Any) -> None:
            texts = (body or {}).get("input")
            texts = [texts] if isinstance(texts, str) else texts
            if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
                self._json(400, {"error": {"message": "'input' must be a string or strings."}})
                return
            data = [
                {"object": "embedding", "index": i, "embedding": fake.embedder(text)}
                for i, text in enumerate(texts)
            ]
            tokens = sum(len(t) // 4 + 1 for t in texts)
            usage = {"prompt_tokens": tokens, "total_tokens": tokens}
            model = body.get("model", "")
            self._json(200, {"object": "list", "data": data, "model": model, "usage": usage})

        def _tokenize(self, body: Any) -> None:
            text = (body or {}).get("content", (body or {}).get("prompt"))
            if not isinstance(text, str):
                self._json(400, {"error": {"message": "'content' must be a string."}})
                return
            tokens = fake.tokenizer(text)
            self._json(200, {"tokens": tokens, "count": len(tokens), "max_model_len": 4096})

        def _fail(self, fail: Fail) -> None:
            payload = fail.body
            if payload is None:
                error = {"message": fail.message, "type": "server_error", "param": None}
                payload = json.dumps({"error": {**error, "code": None}})
            headers = {}
            if fail.retry_after is not None:
                headers["Retry-After"] = f"{fail.retry_after:g}"
            self._send(fail.status, "application/json", payload.encode(), headers)

        def _stream(self, response: Reply | Hang, body: dict[str, Any]) -> None:
            hang = response if isinstance(response, Hang) else None
            reply = fake.default(body) if hang else response
            if not isinstance(reply, Reply):
                reply = Reply(text="Hello from the fake chat server.")
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream; charset=utf-8")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for sent, chunk in enumerate(_stream_chunks(reply, body, fake.tokenizer)):
                    if hang and sent >= hang.after_chunks:
                        fake._stopping.wait(hang.seconds)
                        self.close_connection = True
                        return
                    self._write(f"data: {json.dumps(chunk)}\n\n")
                    if reply.delay:
                        time.sleep(reply.delay)
                self._write("data: [DONE]\n\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client went away (cancelled run)

        def _write(self, text: str) -> None:
            data = text.encode()
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, "application/json", json.dumps(payload).encode())

        def _send(
            self,
            status: int,
            content_type: str,
            data: bytes,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def word_embedder(
    synonyms: dict[str, str] | None = None, dimensions: int = 64
) -> Callable[[str], list[float]]:
    """A deterministic stand-in for an embedding model: words (after `synonyms` map them to a
    shared concept) counted into hashed dimensions, so texts sharing concepts point alike."""
    import hashlib
    import re

    table = {k.lower(): v.lower() for k, v in (synonyms or {}).items()}

    def embed(text: str) -> list[float]:
        vector = [0.0] * dimensions
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            concept = table.get(word, word)
            slot = int(hashlib.sha256(concept.encode()).hexdigest(), 16) % dimensions
            vector[slot] += 1.0
        return vector

    return embed


def char_tokenizer() -> Callable[[str], list[int]]:
    """A stand-in tokenizer as stingy as real ones are with digits, code and non-Latin text:
    each digit, punctuation mark and non-ASCII character is a token, and each run of up to
    four ASCII letters is one."""
    import re

    def tokenize(text: str) -> list[int]:
        pieces = re.findall(r"[A-Za-z]{1,4}|\S", text)
        return [hash(piece) & 0xFFFF for piece in pieces]

    return tokenize
