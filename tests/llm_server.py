"""A local HTTP server (127.0.0.1 only) that speaks the OpenAI chat-completions protocol.

By default it answers like a well-behaved model, built from the abstract it was sent (keeping
its math and numbers): a Chinese translation as plain text when asked to translate, the Chinese
summary and takeaways as JSON when asked for them, in the response shape OpenAI documents
(``choices[0].message.content``, ``usage``). Tests queue faults for the next requests: HTTP
errors with headers, garbage, JSON of the wrong shape, English text, a slow answer, and a
connection dropped in the middle of the body or a body sent in drips (a reply with the
``DROP_AFTER`` or ``DRIP`` header).
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Reply = tuple[int, dict[str, str], bytes]
# A reply header the server does not send: it sends the full Content-Length, then only this
# many bytes of the body, and closes the connection.
DROP_AFTER = "X-Fake-Drop-After"
# Likewise: send the body 64 bytes at a time, this many seconds apart (a server that drips).
DRIP = "X-Fake-Drip"


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def user_text(self) -> str:
        return "\n".join(m["content"] for m in self.body["messages"] if m["role"] == "user")

    @property
    def system_text(self) -> str:
        return "\n".join(m["content"] for m in self.body["messages"] if m["role"] == "system")


def abstract_of(request: dict[str, Any]) -> str:
    user = request["messages"][1]["content"]
    found = re.search(r"<abstract>\n(.*?)\n</abstract>", user, flags=re.S)
    return found.group(1) if found else ""


def asks_for_summary(request: dict[str, Any]) -> bool:
    """The summary call (and its repairs) asks for JSON with "takeaways"; the translation call
    for plain text."""
    return '"takeaways"' in request["messages"][-1]["content"]


def chinese_translation(request: dict[str, Any]) -> str:
    """What a good model translates: Chinese text keeping the abstract's math and numbers."""
    abstract = abstract_of(request)
    math = " ".join(re.findall(r"\$[^$]+\$", abstract))
    numbers = " ".join(re.findall(r"\d+(?:[.,]\d+)*%?", abstract))
    return (
        "本文研究了图像到图像的转换问题，并提出了一种新的方法。" * (1 + len(abstract) // 80)
        + math
        + numbers
    )


def chinese_summary(request: dict[str, Any]) -> dict[str, Any]:
    """What a good model summarises: Chinese, with a number of the abstract."""
    numbers = re.findall(r"\d+(?:[.,]\d+)*%?", abstract_of(request))
    figure = numbers[0] if numbers else "多项"
    return {
        "summary": "本文提出一种新方法。",
        "result": f"该方法在基准上提升了{figure}。",
        "takeaways": ["1. 提出了新的方法", "2. 保持场景布局", f"3. 指标提升{figure}"],
    }


def good_answer(request: dict[str, Any]) -> str:
    if asks_for_summary(request):
        return json.dumps(chinese_summary(request), ensure_ascii=False)
    return chinese_translation(request)


def completion(content: str, prompt_tokens: int = 412, completion_tokens: int = 236) -> bytes:
    body = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1781596800,
        "model": "test-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }
    return json.dumps(body, ensure_ascii=False).encode()


def ok(content: str) -> Callable[[dict[str, Any]], Reply]:
    return lambda request: (200, {}, completion(content))


def error(status: int, message: str, headers: dict[str, str] | None = None) -> Callable[..., Reply]:
    payload = json.dumps({"error": {"message": message, "type": "test", "code": status}})
    return lambda request: (status, headers or {}, payload.encode())


def slow(seconds: float) -> Callable[[dict[str, Any]], Reply]:
    def reply(request: dict[str, Any]) -> Reply:
        time.sleep(seconds)
        return 200, {}, completion(good_answer(request))

    return reply


@dataclass
class FakeLLM:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    queue: deque[Callable[[dict[str, Any]], Reply]] = field(default_factory=deque)
    default: Callable[[dict[str, Any]], Reply] = field(
        default=lambda request: (200, {}, completion(good_answer(request)))
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def then(self, *replies: Callable[[dict[str, Any]], Reply]) -> None:
        self.queue.extend(replies)

    @property
    def calls(self) -> int:
        return len(self.received)


@contextmanager
def fake_llm() -> Iterator[FakeLLM]:
    state = FakeLLM()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            with state.lock:
                state.received.append(Received(self.path, dict(self.headers), body))
                reply = state.queue.popleft() if state.queue else state.default
            if self.path != "/v1/chat/completions":
                reply = error(404, f"no route {self.path}")
            status, headers, payload = reply(body)
            headers = dict(headers)
            drop_after = headers.pop(DROP_AFTER, None)
            drip = float(headers.pop(DRIP, 0))
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            # The client may have given up waiting (a timeout test).
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                if drip:
                    for start in range(0, len(payload), 64):
                        self.wfile.write(payload[start : start + 64])
                        self.wfile.flush()
                        time.sleep(drip)
                elif drop_after is None:
                    self.wfile.write(payload)
                else:
                    self.wfile.write(payload[: int(drop_after)])
                    self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
