"""Helpers of the canary suite: render a failure every way a developer could see it.

``exposure(exc)`` is the text of the exception's traceback with every frame's locals
(``traceback.TracebackException(capture_locals=True)``, the chain included), the ``repr``
and ``str`` of every exception in the chain, and what hangs off them (``.request`` /
``.response``: URL, headers, body). A canary must appear in none of it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from canary import assert_no_canary


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo += [x for x in (e.__cause__, e.__context__) if x is not None]
        todo += list(getattr(e, "exceptions", ()))


def _message_parts(obj: Any, name: str) -> list[str]:
    parts = [repr(obj)]
    for attr in ("url", "headers", "content", "text"):
        try:
            value = getattr(obj, attr)
        except Exception as err:
            parts.append(f"{name}.{attr}: {type(err).__name__}")
            continue
        if attr == "headers":
            value = list(value.raw) if hasattr(value, "raw") else value
        parts.append(f"{name}.{attr}={value!r}")
    return parts


def exposure(exc: BaseException, *, own_request_ok: bool = False) -> str:
    """Everything ``exc`` shows to a developer with locals on, as one text.

    ``own_request_ok``: ``exc`` is httpx's error about the caller's own (authorised) request,
    whose ``.request`` carries the worker token as httpx does for any auth; that request is
    then looked at through ``repr`` only (httpx masks ``Authorization`` there).
    """
    parts = [
        "".join(traceback.TracebackException.from_exception(exc, capture_locals=True).format())
    ]
    for e in _chain(exc):
        if own_request_ok and e is exc and isinstance(e, httpx.HTTPError):
            parts += [repr(e), str(e), repr(getattr(e, "request", None))]
            continue
        parts += [repr(e), str(e), repr(vars(e)) if hasattr(e, "__dict__") else ""]
        for attr in ("request", "response", "_request", "_response"):
            try:
                value = getattr(e, attr, None)
            except Exception:
                value = None
            if value is not None:
                parts += _message_parts(value, attr)
    return "\n".join(parts)


def failure(fn: Callable[[], object]) -> BaseException:
    """Run ``fn``; return what it raised (fail the test when it raised nothing)."""
    try:
        fn()
    except Exception as exc:
        return exc
    raise AssertionError(f"{fn!r} did not fail")


def assert_failure_hides_canary(fn: Callable[[], object], *extra: str) -> BaseException:
    """``fn`` fails and no canary is in its traceback-with-locals, chain or reprs."""
    exc = failure(fn)
    assert_no_canary(exposure(exc), extra)
    return exc
