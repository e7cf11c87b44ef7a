"""Any OpenAI-compatible chat-completions endpoint: OpenAI, DeepSeek, Qwen/DashScope, Zhipu
GLM, Moonshot, Ollama, vLLM, a llama.cpp server.

Plain urllib: one POST to ``{base_url}/chat/completions`` per call, JSON-schema constrained
output (falling back to ``json_object`` and then to plain text when the endpoint refuses the
``response_format``), retries with backoff on 429/5xx/timeouts honouring ``Retry-After``. The
API key is read from the environment variable the config names and never logged or stored;
an endpoint's error text is shown only with anything key-like removed. Each attempt ends within
``timeout`` seconds of wall-clock time however the endpoint drips its answer; one cut off
mid-way is retried like a timeout, one larger than ``MAX_BODY_BYTES`` is a failed write-up.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from papertide.config import LLMConfig
from papertide.errors import LLMError, WriteupFailedError
from papertide.http_body import BodyError, BodyTooLargeError, read_body
from papertide.llm import Completion, Message, Probe
from papertide.secrets import redact

MAX_RETRY_AFTER = 120.0  # seconds: a longer Retry-After is treated as "unavailable now"
MAX_BODY_BYTES = 1024 * 1024  # the JSON of one answer (the answer itself: validate.py's cap)
_FORMATS = ("json_schema", "json_object", "none")


class OpenAIBackend:
    decodes_freely = False  # every answer to a schema is asked for in its JSON mode

    def __init__(
        self,
        config: LLMConfig,
        sleep: Callable[[float], None] = time.sleep,
        backoff: float = 1.0,
    ) -> None:
        self.name = f"openai:{config.model}"
        self.concurrency = config.concurrency
        self.typical_seconds = 6.0
        self.config = config
        self.url = f"{config.base_url}/chat/completions"
        self._sleep = sleep
        self._backoff = backoff
        self._format = _FORMATS[0]
        key = os.environ.get(config.api_key_env, "") if config.api_key_env else ""
        self._key = key.strip()

    def _payload(self, messages: list[Message], schema: dict[str, Any] | None) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
        }
        if schema is None:
            pass  # plain text: the translation
        elif self._format == "json_schema":
            payload["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "writeup", "schema": schema, "strict": True},
            }
        elif self._format == "json_object":
            payload["response_format"] = {"type": "json_object"}
        return payload

    def complete(
        self,
        messages: list[Message],
        schema: dict[str, Any] | None,
        latin: Sequence[str] | None = None,  # chat-completions APIs take no logits mask
        strict: bool = False,  # every answer to a schema is asked for in its JSON mode
        least: int = 0,  # nor a minimum length
    ) -> Completion:
        attempt = 0
        while True:
            fmt = self._format
            try:
                body = self._post(self._payload(messages, schema))
            except _Retry as retry:
                if attempt >= self.config.retries:
                    raise LLMError(
                        f"LLM endpoint {self.config.base_url} still failing after "
                        f"{attempt + 1} attempts ({retry.reason}); the papers stay pending"
                        " and the next run retries them"
                    ) from None
                wait = retry.after
                if wait is None:
                    wait = self._backoff * 2**attempt * (1 + random.random() / 4)
                self._sleep(wait)
                attempt += 1
                continue
            except _FormatRefused:
                # The endpoint does not know this response_format: try the next simpler one.
                if self._format == fmt:
                    self._format = _FORMATS[min(_FORMATS.index(fmt) + 1, len(_FORMATS) - 1)]
                if fmt == _FORMATS[-1]:
                    raise LLMError(f"LLM endpoint {self.url} refused the request (400)") from None
                continue
            return _completion(body)

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._key:
            headers["Authorization"] = f"Bearer {self._key}"
        return headers

    def probe(self, timeout: float) -> Probe:
        """One GET of ``{base_url}/models``: the endpoint answers and takes the key."""
        config = self.config
        if config.api_key_env and not self._key:
            return Probe(
                False,
                f"the key variable {config.api_key_env} is not set",
                f"export {config.api_key_env}=<your key> before the run (in GitHub Actions: a"
                f" repository secret named {config.api_key_env})",
            )
        request = urllib.request.Request(f"{config.base_url}/models", headers=self._headers())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status = answer.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, urllib.error.URLError) as exc:
            reason = getattr(exc, "reason", exc)
            return Probe(
                False,
                f"{config.base_url} does not answer ({reason})",
                "check [llm] base_url and the connection, or set [llm] backend = 'none'",
            )
        if status in (401, 403):
            return Probe(
                False,
                f"{config.base_url} refuses the key in {config.api_key_env} (HTTP {status})",
                f"put a valid key in {config.api_key_env}",
            )
        return Probe(True, f"{config.base_url} answers (HTTP {status}); model {config.model}")

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            self.url, data=json.dumps(payload).encode(), headers=self._headers(), method="POST"
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=self.config.timeout) as response:
                raw = read_body(response, started, self.config.timeout, MAX_BODY_BYTES)
        except urllib.error.HTTPError as exc:
            self._raise_for(exc, payload)
        except BodyTooLargeError as exc:
            raise WriteupFailedError(f"LLM endpoint {self.url}: {exc}") from None
        except BodyError as exc:
            raise _Retry(str(exc), None) from None
        except TimeoutError:
            raise _Retry(f"no answer within {self.config.timeout:g} s", None) from None
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, TimeoutError):
                raise _Retry(f"no answer within {self.config.timeout:g} s", None) from None
            raise _Retry(f"cannot connect: {exc.reason}", None) from None
        except (ConnectionError, OSError, http.client.HTTPException) as exc:
            raise _Retry(f"connection failed: {type(exc).__name__}", None) from None
        try:
            data = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            raise WriteupFailedError(
                f"LLM endpoint {self.url} answered with something that is not JSON"
            ) from None
        if not isinstance(data, dict):
            raise WriteupFailedError(f"LLM endpoint {self.url} answered with unexpected JSON")
        return data

    def _raise_for(self, exc: urllib.error.HTTPError, payload: dict[str, Any]) -> None:
        detail = redact(_error_message(exc), self._key)
        status = exc.code
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}{': ' + detail if detail else ''}", _retry_after(exc))
        if status == 401 or status == 403:
            where = f"${self.config.api_key_env}" if self.config.api_key_env else "no variable"
            state = "is set but was refused" if self._key else "is not set"
            raise LLMError(
                f"LLM endpoint {self.config.base_url} refused the API key (HTTP {status}): "
                f"the environment variable {where} {state}; set it to a valid key "
                "([llm] api_key_env names the variable)"
            )
        if status == 404:
            raise LLMError(
                f"LLM endpoint {self.url} answered 404 for model {self.config.model!r}: check"
                " [llm] base_url (it usually ends in /v1) and [llm] model"
                + (f" ({detail})" if detail else "")
            )
        if status in (400, 422) and "response_format" in payload:
            raise _FormatRefused()
        raise LLMError(
            f"LLM endpoint {self.url} answered HTTP {status}" + (f": {detail}" if detail else "")
        )


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class _FormatRefused(Exception):
    pass


def _retry_after(exc: urllib.error.HTTPError) -> float | None:
    value = exc.headers.get("Retry-After") if exc.headers else None
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        data = json.loads(exc.read(64 * 1024) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError, OSError, http.client.HTTPException):
        return ""
    error = data.get("error") if isinstance(data, dict) else None
    message = error.get("message") if isinstance(error, dict) else error
    return " ".join(str(message).split())[:200] if message else ""


def _completion(body: dict[str, Any]) -> Completion:
    try:
        choice = body["choices"][0]
        text = choice["message"]["content"] or ""
    except (KeyError, IndexError, TypeError):
        raise WriteupFailedError("the LLM endpoint's answer has no choices[0].message") from None
    usage = body.get("usage")
    return Completion(
        text=str(text),
        prompt_tokens=_tokens(usage, "prompt_tokens"),
        completion_tokens=_tokens(usage, "completion_tokens"),
    )


def _tokens(usage: object, key: str) -> int:
    """A token count of the answer's ``usage``; 0 when the endpoint sends none, or nonsense
    (a string, a list, a negative or fractional number): the count is for the summary only."""
    value = usage.get(key) if isinstance(usage, dict) else None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value
