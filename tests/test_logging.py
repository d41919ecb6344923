"""Emoji log lines, redaction, the pluggy hooks, entry-point plugins and the canary."""

from __future__ import annotations

import dataclasses
import gc
import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canary import CANARY_CLIENT_ID, CANARY_SECRET, CANARY_TOKEN, assert_no_canary
from httpx_pingone_worker import (
    ClientCredentials,
    EventKind,
    LogEvent,
    Secret,
    Token,
    TokenRequestError,
    hookimpl,
    plugin_manager,
    register_secret,
)
from httpx_pingone_worker._core import _known, _logging, _plugins
from httpx_pingone_worker._core._events import format_line
from httpx_pingone_worker._core._logging import (
    forget_secret,
    get_logger,
    get_plugin_manager,
    log_event,
    redact,
)
from httpx_pingone_worker._core._secrets import fingerprint

# A structurally valid JWT (header.payload.signature), fake content.
JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0"
    ".eyJjbGllbnRfaWQiOiJjIiwiZXhwIjoxfQ"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmU"
)
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx\nabcdef\n-----END RSA PRIVATE KEY-----"


@pytest.fixture(autouse=True)
def _clean_plugins() -> Iterator[None]:
    """Unregister test plugins, forget reported failures and registered canaries.

    The known-secret registry is process-wide: a test elsewhere in the same worker may have
    registered the canaries, which would turn ``<redacted>`` into ``<redacted:fingerprint>``
    here. Each test starts without them and the registry is put back as it was afterwards.
    """
    before = set(plugin_manager.get_plugins())
    reported = set(_plugins._reported)
    with _known._isolated_registry():
        yield
    for plugin in set(plugin_manager.get_plugins()) - before:
        plugin_manager.unregister(plugin)
    _plugins._reported.clear()
    _plugins._reported.update(reported)


@pytest.fixture
def canaries() -> None:
    """Register the canaries as known secrets, as the library does for its own."""
    register_secret(CANARY_SECRET)
    register_secret(Secret(CANARY_TOKEN))
    _logging.register_token(CANARY_TOKEN)


class Recorder:
    """A plugin that records every event."""

    def __init__(self) -> None:
        self.events: list[LogEvent] = []

    @hookimpl
    def pingone_log_event(self, event: LogEvent) -> None:
        self.events.append(event)


# --- line format ------------------------------------------------------------------------

EXPECTED_PREFIX = {
    EventKind.CONFIGURING: "[🔧 WORKER]",
    EventKind.DISCOVERED: "[🌐 WORKER]",
    EventKind.REQUESTING: "[🎯 WORKER]",
    EventKind.RECEIVED: "[✅ TOKEN]",
    EventKind.CACHE: "[💾 CACHE]",
    EventKind.REFRESH: "[🔄 REFRESH]",
    EventKind.DISCOVERY: "[🔍 DISCOVERY]",
    EventKind.API_TEST: "[🧪 API-TEST]",
    EventKind.ERROR: "[⛔ WORKER-ERROR]",
    EventKind.DEBUG: "[🐛 DEBUG]",
}


@pytest.mark.parametrize("kind", list(EventKind))
def test_every_kind_line_format(kind: EventKind, debug_logs: pytest.LogCaptureFixture) -> None:
    """Each kind logs '[<emoji> <TAG>] message k=v' to the library logger."""
    event = log_event(kind, "did something", n=3, where="here")
    expected = f"{EXPECTED_PREFIX[kind]} did something n=3 where=here"
    assert event.line == expected
    assert [r.getMessage() for r in debug_logs.records] == [expected]
    assert debug_logs.records[0].name == "httpx_pingone_worker"
    assert event.tag == kind.tag
    assert event.emoji == kind.emoji


@pytest.mark.parametrize(
    ("kind", "message", "fields", "line"),
    [
        (
            EventKind.CONFIGURING,
            "configuring",
            {"client_id": "cid", "env": "eid"},
            "[🔧 WORKER] configuring client_id=cid env=eid",
        ),
        (
            EventKind.DISCOVERED,
            "discovered",
            {"token_endpoint": "https://auth.pingone.com/e/as/token"},
            "[🌐 WORKER] discovered token_endpoint=https://auth.pingone.com/e/as/token",
        ),
        (
            EventKind.REQUESTING,
            "requesting token",
            {"scopes": ["b", "a"]},
            "[🎯 WORKER] requesting token scopes=a,b",
        ),
        (
            EventKind.RECEIVED,
            "received",
            {"expires": "3600s", "scopes": frozenset()},
            "[✅ TOKEN] received expires=3600s scopes=",
        ),
        (
            EventKind.CACHE,
            "stored token",
            {"key": "pingone:abc", "ttl": "3600s"},
            "[💾 CACHE] stored token key=pingone:abc ttl=3600s",
        ),
        (
            EventKind.REFRESH,
            "auto-refreshed token near expiry",
            {},
            "[🔄 REFRESH] auto-refreshed token near expiry",
        ),
        (
            EventKind.DISCOVERY,
            "found worker app",
            {"name": "Worker", "status": "enabled"},
            "[🔍 DISCOVERY] found worker app name=Worker status=enabled",
        ),
        (
            EventKind.API_TEST,
            "",
            {"endpoint": "/users", "status": 403},
            "[🧪 API-TEST] endpoint=/users status=403",
        ),
        (
            EventKind.ERROR,
            "",
            {"type": "TokenRequestError", "msg": "invalid_client"},
            "[⛔ WORKER-ERROR] type=TokenRequestError msg=invalid_client",
        ),
    ],
)
def test_design_lines(kind: EventKind, message: str, fields: dict[str, Any], line: str) -> None:
    """The log lines of DESIGN.md come out exactly."""
    assert log_event(kind, message, **fields).line == line
    assert format_line(kind, message, {k: _logging._stringify(v) for k, v in fields.items()})


def test_levels_and_child_logger(caplog: pytest.LogCaptureFixture) -> None:
    """level= and logger= are honoured; nothing is emitted below the logger's level."""
    with caplog.at_level(logging.WARNING, logger="httpx_pingone_worker"):
        log_event(EventKind.CACHE, "quiet", level=logging.DEBUG)
        log_event(EventKind.ERROR, "loud", level=logging.ERROR, logger="auth")
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("httpx_pingone_worker.auth", logging.ERROR, "[⛔ WORKER-ERROR] loud")
    ]


# --- redaction --------------------------------------------------------------------------


def test_known_secret_masked_with_fingerprint(canaries: None) -> None:
    """Registered secrets are replaced by a fingerprint wherever they appear."""
    out = redact(f"x {CANARY_SECRET} y {CANARY_TOKEN}")
    assert (
        out == f"x <redacted:{fingerprint(CANARY_SECRET)}> y <redacted:{fingerprint(CANARY_TOKEN)}>"
    )


def test_short_values_not_registered() -> None:
    """Values under 6 characters are not registered (they would mask ordinary words)."""
    register_secret("abc")
    register_secret(None)
    assert redact("abc") == "abc"


def test_forget_secret() -> None:
    """A forgotten secret is no longer masked by the registry."""
    register_secret("forget-me-value")
    assert "forget-me-value" not in redact("forget-me-value")
    forget_secret("forget-me-value")
    assert redact("forget-me-value") == "forget-me-value"


def test_token_registry_is_bounded_and_secrets_are_not() -> None:
    """Tokens rotate through the most recent 512; registered secrets are never pushed out."""
    register_secret("a-secret-registered-first")
    values = [f"bounded-value-{i:04d}" for i in range(600)]
    for v in values:
        _logging.register_token(v)
    assert redact(values[0]) == values[0]
    assert values[-1] not in redact(values[-1])
    assert "a-secret-registered-first" not in redact("a-secret-registered-first")


def test_a_secret_object_is_released_with_its_last_holder() -> None:
    """A held `Secret` stays masked while it lives, and is released when collected."""
    import gc

    first, second = Secret("held-by-two-objects"), Secret("held-by-two-objects")
    _logging.register_held_secret(first)
    _logging.register_held_secret(second)
    _logging.register_held_secret(first)  # twice: still one registration of this object
    del first
    gc.collect()
    assert "held-by-two-objects" not in redact("held-by-two-objects")
    del second
    gc.collect()
    assert redact("held-by-two-objects") == "held-by-two-objects"


def test_jwt_masked() -> None:
    """Anything shaped like a JWT becomes a fingerprint."""
    out = redact(f"got {JWT} back")
    assert JWT not in out
    assert out == f"got <jwt:{fingerprint(JWT)}> back"


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "Basic", "DPoP"])
def test_authorization_values_masked(scheme: str) -> None:
    """Bearer/Basic/DPoP credentials are masked, the scheme kept."""
    out = redact(f"Authorization: {scheme} {CANARY_TOKEN}")
    assert out == f"Authorization: {scheme} <redacted>"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            f"grant_type=client_credentials&client_secret={CANARY_SECRET}&scope=a",
            "grant_type=client_credentials&client_secret=<redacted>&scope=a",
        ),
        (f"client_assertion={JWT}", "client_assertion=<redacted>"),
        (f"password = {CANARY_SECRET}", "password = <redacted>"),
        (
            f'{{"access_token": "{CANARY_TOKEN}", "token_type": "Bearer", "expires_in": 3600}}',
            '{"access_token": "<redacted>", "token_type": "Bearer", "expires_in": 3600}',
        ),
        (f"{{'client_secret': 'with spaces {CANARY_SECRET}'}}", "{'client_secret': '<redacted>'}"),
        ('{"secret": "a \\" quote inside"}', '{"secret": "<redacted>"}'),
        (f"TOKEN={CANARY_TOKEN}", "TOKEN=<redacted>"),
        ("token_endpoint=https://a.test/as/token", "token_endpoint=https://a.test/as/token"),
        ("token_type=Bearer expires_in=3600", "token_type=Bearer expires_in=3600"),
    ],
)
def test_key_value_and_json_masked(text: str, expected: str) -> None:
    """Sensitive key=value and JSON members are masked; look-alike keys are not."""
    assert redact(text) == expected


def test_pem_masked() -> None:
    """PEM private keys are masked whole."""
    out = redact(f"key:\n{PEM}\nend")
    assert out == "key:\n<redacted:private-key>\nend"


def test_redact_idempotent(canaries: None) -> None:
    """Redacting twice changes nothing more."""
    once = redact(f"client_secret={CANARY_SECRET} Bearer {CANARY_TOKEN} {JWT}")
    assert redact(once) == once


def test_sensitive_field_names_masked() -> None:
    """A field named like a secret is masked even when its value looks harmless."""
    event = log_event(EventKind.DEBUG, "m", client_secret="harmless", token=Secret(CANARY_TOKEN))
    assert event.fields["client_secret"] == "<redacted>"
    assert event.fields["token"] == f"<redacted:{fingerprint(CANARY_TOKEN)}>"
    assert event.line == (
        f"[🐛 DEBUG] m client_secret=<redacted> token=<redacted:{fingerprint(CANARY_TOKEN)}>"
    )


# --- hooks ------------------------------------------------------------------------------


def test_log_event_hook_gets_redacted_frozen_event(canaries: None) -> None:
    """Plugins receive the already-redacted event, which they cannot modify."""
    rec = Recorder()
    plugin_manager.register(rec)
    returned = log_event(
        EventKind.RECEIVED, f"received {CANARY_TOKEN}", secret=CANARY_SECRET, expires=5
    )
    assert rec.events == [returned]
    event = rec.events[0]
    assert_no_canary(event.message)
    assert_no_canary(repr(event))
    assert event.fields["expires"] == "5"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.message = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.fields["x"] = "y"  # type: ignore[index]


def test_redact_hook_firstresult() -> None:
    """The first plugin returning text wins; None passes to the next one."""

    class Upper:
        @hookimpl
        def pingone_redact(self, text: str) -> str | None:
            return text.replace("employee-42", "<employee>")

    class Abstain:
        calls = 0

        @hookimpl
        def pingone_redact(self, text: str) -> str | None:
            Abstain.calls += 1
            return None

    class Never:
        @hookimpl(trylast=True)
        def pingone_redact(self, text: str) -> str | None:
            return "never used"

    plugin_manager.register(Never())
    plugin_manager.register(Upper())
    plugin_manager.register(Abstain())  # registered last: called first
    assert redact("user employee-42 logged in") == "user <employee> logged in"
    assert Abstain.calls == 1


def test_redact_hook_sees_redacted_text_and_cannot_unredact(canaries: None) -> None:
    """A plugin gets built-in-redacted text, and cannot put a known secret back."""
    seen: list[str] = []

    class Evil:
        @hookimpl
        def pingone_redact(self, text: str) -> str | None:
            seen.append(text)
            return f"{text} {CANARY_SECRET} Bearer {CANARY_TOKEN} client_secret=abcdefgh"

    plugin_manager.register(Evil())
    out = redact(f"value {CANARY_SECRET}")
    assert_no_canary(seen[0])
    assert_no_canary(out)
    assert "abcdefgh" not in out


def test_raising_plugins_reported_once_never_break(caplog: pytest.LogCaptureFixture) -> None:
    """A raising plugin is reported once per hook; the caller and other plugins go on."""

    class Broken:
        calls = 0

        @hookimpl
        def pingone_log_event(self, event: LogEvent) -> None:
            Broken.calls += 1
            raise RuntimeError(f"plugin saw {CANARY_SECRET}")

        @hookimpl
        def pingone_redact(self, text: str) -> str | None:
            raise ValueError(CANARY_TOKEN)

    rec = Recorder()
    plugin_manager.register(rec)
    plugin_manager.register(Broken(), name="broken-plugin")
    with caplog.at_level(logging.DEBUG):
        events = [log_event(EventKind.CACHE, f"event {i}") for i in range(3)]
        assert redact("client_secret=x1y2z3") == "client_secret=<redacted>"
    assert [e.message for e in rec.events] == ["event 0", "event 1", "event 2"]
    assert events == rec.events
    assert Broken.calls == 1  # skipped after its failure was reported
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert all("broken-plugin" in w for w in warnings)
    assert any("RuntimeError" in w and "pingone_log_event" in w for w in warnings)
    assert any("ValueError" in w and "pingone_redact" in w for w in warnings)
    assert_no_canary(caplog.text)


def test_hookimpl_marker_is_project_scoped() -> None:
    """hookimpl is pluggy's marker for this project; specs are prefixed pingone_."""
    assert hookimpl.project_name == "httpx_pingone_worker"
    names = {h for h in dir(plugin_manager.hook) if not h.startswith("_")}
    assert {"pingone_log_event", "pingone_redact"} <= names


def test_entry_point_plugins_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Plugins published under the 'httpx_pingone_worker' entry-point group are loaded."""
    (tmp_path / "fake_pingone_plugin.py").write_text(
        textwrap.dedent(
            """
            from httpx_pingone_worker import hookimpl

            EVENTS = []

            @hookimpl
            def pingone_log_event(event):
                EVENTS.append(event.message)
            """
        ),
        encoding="utf-8",
    )
    dist = tmp_path / "fake_pingone_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-pingone-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[httpx_pingone_worker]\nfake = fake_pingone_plugin\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_plugins, "_entry_points_loaded", False)
    monkeypatch.delitem(sys.modules, "fake_pingone_plugin", raising=False)
    try:
        pm = get_plugin_manager()
        assert pm.get_plugin("fake") is not None
        log_event(EventKind.DEBUG, "hello plugin")
        module = sys.modules["fake_pingone_plugin"]
        assert module.EVENTS == ["hello plugin"]
    finally:
        if plugin_manager.get_plugin("fake") is not None:
            plugin_manager.unregister(name="fake")


def test_broken_entry_point_does_not_break(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An entry point that fails to import is reported and the library keeps working."""
    dist = tmp_path / "broken_pingone_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: broken-pingone-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (dist / "entry_points.txt").write_text(
        "[httpx_pingone_worker]\nbroken = no_such_module_for_pingone\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(_plugins, "_entry_points_loaded", False)
    with caplog.at_level(logging.WARNING):
        pm = get_plugin_manager()
        log_event(EventKind.DEBUG, "still works")
    assert pm is plugin_manager
    assert any("entry points" in r.getMessage() for r in caplog.records)


# --- the canary -------------------------------------------------------------------------


def test_canary_debug_logs(canaries: None, debug_logs: pytest.LogCaptureFixture) -> None:
    """Secrets and tokens pushed through DEBUG logging in every shape never appear."""
    log = get_logger("canary")
    creds = ClientCredentials(CANARY_CLIENT_ID, CANARY_SECRET, "env")
    token = Token(Secret(CANARY_TOKEN), "Bearer", 3600, 0.0)
    log.debug("raw %s and %s", CANARY_SECRET, CANARY_TOKEN)
    log.debug("form client_secret=%s", CANARY_SECRET)
    log.debug("header Authorization: Bearer %s", CANARY_TOKEN)
    log.debug("objects %r %s %r", creds, token, Secret(CANARY_SECRET))
    log.debug({"client_secret": CANARY_SECRET, "access_token": CANARY_TOKEN})
    # A broken format string must not leak its arguments.
    log.debug("bad format %s %s", CANARY_SECRET)  # noqa: PLE1206
    log_event(EventKind.RECEIVED, f"got {CANARY_TOKEN}", token=CANARY_TOKEN, level=logging.DEBUG)
    assert len(debug_logs.records) == 7
    assert_no_canary(debug_logs.text)
    for record in debug_logs.records:
        assert_no_canary(record.getMessage())


def test_canary_in_exception_traceback(
    canaries: None, debug_logs: pytest.LogCaptureFixture
) -> None:
    """logger.exception tracebacks are redacted, and still show the exception type."""
    log = get_logger("canary")

    def fail() -> None:
        raise ValueError(f"boom client_secret={CANARY_SECRET} token {CANARY_TOKEN}")

    try:
        fail()
    except ValueError:
        log.exception("request failed")
    assert "ValueError" in debug_logs.text
    assert "Traceback" in debug_logs.text
    assert_no_canary(debug_logs.text)
    assert_no_canary(logging.Formatter().format(debug_logs.records[0]))


def test_canary_without_registry(debug_logs: pytest.LogCaptureFixture) -> None:
    """Structural rules alone mask secrets in headers, forms, JSON and Basic credentials."""
    import base64

    basic = base64.b64encode(f"{CANARY_CLIENT_ID}:{CANARY_SECRET}".encode()).decode()
    log = get_logger("canary")
    log.debug("Authorization: Basic %s", basic)
    log.debug("Authorization: Bearer %s", CANARY_TOKEN)
    log.debug("body client_secret=%s&grant_type=client_credentials", CANARY_SECRET)
    log.debug('{"access_token": "%s"}', CANARY_TOKEN)
    assert_no_canary(debug_logs.text)


def test_canary_hook_events_and_errors(canaries: None) -> None:
    """Hook events, exception messages and reprs carry no canary."""
    rec = Recorder()
    plugin_manager.register(rec)
    err = TokenRequestError(
        "invalid_client", error="invalid_client", status_code=401, hint="check the secret"
    )
    log_event(EventKind.ERROR, "", type=type(err).__name__, msg=f"{err} {CANARY_SECRET}")
    log_event(EventKind.CACHE, "stored", token=Secret(CANARY_TOKEN), secret=CANARY_SECRET)
    assert len(rec.events) == 2
    for event in rec.events:
        assert_no_canary(event.line)
        assert_no_canary(repr(event))
    assert_no_canary(str(err))
    assert_no_canary(repr(err))


def test_the_client_secret_stays_masked_after_many_token_fetches() -> None:
    """Hundreds of fetched tokens never push the auth's client secret out of the registry."""
    import itertools

    import httpx

    from httpx_pingone_worker import PingOneWorkerAuth

    counter = itertools.count()

    def token_endpoint(request: httpx.Request) -> httpx.Response:
        n = next(counter)
        token = f"opaque-token-{n:06d}-abcdefghijkl"
        return httpx.Response(
            200, json={"access_token": token, "token_type": "Bearer", "expires_in": 3600}
        )

    client = httpx.Client(transport=httpx.MockTransport(token_endpoint))
    auth = PingOneWorkerAuth(
        CANARY_CLIENT_ID,
        CANARY_SECRET,
        token_endpoint="https://auth.example.test/as/token",
        http_client=client,
    )
    for _ in range(520):
        auth.invalidate()
        auth.get_token()
    assert next(counter) == 520
    out = redact(f"config dump: {CANARY_SECRET}")
    assert CANARY_SECRET not in out
    root = logging.getLogger("httpx_pingone_worker")
    record = logging.LogRecord(
        "httpx_pingone_worker", logging.WARNING, __file__, 1, "%s", (f"oops {CANARY_SECRET}",), None
    )
    root.handle(record)
    assert CANARY_SECRET not in record.getMessage()
    del auth
    client.close()


_PIECES = [
    "client_secret",
    "token",
    "password",
    "Authorization",
    "redacted",
    "=",
    ":",
    " ",
    '"',
    "'",
    "&",
    "x",
    "Bearer ",
    "basic\t",
    "DPoP ",
    "eyJhbGciOi.eyJzdWIiOi.c2ln",
    "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
    "https://auth.pingone.com/as/token",
    "s3cr3t-value",
    "tok-abcdef",
    "<",
    ">",
]


@given(
    st.lists(
        st.one_of(st.sampled_from(_PIECES), st.text(min_size=1, max_size=4)),
        max_size=12,
    ).map("".join)
)
@settings(max_examples=400, deadline=None)
def test_the_fast_path_redacts_exactly_like_the_full_one(text: str) -> None:
    """Text none of the patterns can match skips them (only known values are masked); for any
    text, with known values registered that border keys, schemes and separators, the result
    equals the full set of rules'."""
    with _known._isolated_registry():
        register_secret("s3cr3t-value")
        _logging.register_token("tok-abcdef")
        assert _logging._builtin_redact(text) == _logging._full_redact(text)


def test_the_fast_path_still_masks_known_values() -> None:
    """A registered value in text without any pattern trigger is masked."""
    with _known._isolated_registry():
        register_secret("plain-secret-without-separators")
        out = _logging._builtin_redact("the value plain-secret-without-separators leaked")
    assert "plain-secret-without-separators" not in out
    assert "<redacted:" in out


_VALUE = st.text(alphabet="abcXYZ019-_.~+/=", min_size=6, max_size=14)


@given(
    values=st.lists(_VALUE, min_size=0, max_size=80, unique=True),
    picks=st.lists(st.integers(0, 79), max_size=4),
    noise=st.lists(st.text(alphabet="abcXYZ019-_ <>:", max_size=8), max_size=5),
)
@settings(max_examples=300, deadline=None)
def test_masking_with_many_known_values_matches_the_plain_loop(
    values: list[str], picks: list[int], noise: list[str]
) -> None:
    """Above `_INDEX_FROM` registered values a text is first checked against the index of
    their starts; the result equals masking with every value in turn, whether the text holds
    registered values (whole, overlapping, at its ends) or only near misses."""
    with _known._isolated_registry():
        for i, value in enumerate(values):
            if i % 2:
                _logging.register_token(value)
            else:
                register_secret(value)
        chosen = [values[p % len(values)] for p in picks] if values else []
        parts = [*chosen, *noise, *(v[:-1] for v in values[:3])]  # near misses: cut short
        text = " ".join(sorted(parts, key=lambda p: hash(p) % 7))
        with _known._KNOWN_LOCK:
            everything = [*_known._SECRETS, *_known._KNOWN]
        assert _known._mask_known(text) == _known._mask_all(text, everything)


def test_with_hundreds_of_known_tokens_each_is_still_masked() -> None:
    """A long session registers hundreds of tokens: the newest, the oldest kept and a
    client secret are all masked (through the index), and text without them is unchanged."""
    with _known._isolated_registry():
        register_secret("client-secret-value-0001")
        tokens = [f"opaque-token-{i:06d}-abcdefghijkl" for i in range(600)]
        for token in tokens:
            _logging.register_token(token)
        oldest_kept = tokens[-_known._KNOWN_MAX]
        for value in ("client-secret-value-0001", tokens[-1], oldest_kept):
            out = _logging._builtin_redact(f"sent {value} to the server")
            assert value not in out
            assert out.startswith("sent <redacted:")
        assert _logging._builtin_redact("nothing to hide here") == "nothing to hide here"


def test_an_isolated_registry_is_not_emptied_by_a_release_from_outside_it() -> None:
    """A `Secret` registered before `_isolated_registry` and collected during it releases its
    own registration, not one made inside with the same value (that made a test of this file
    flaky: a garbage collection in the middle unmasked the canary); the release is applied to
    the outer registry when it comes back."""
    value = "held-outside-and-inside-0001"
    outside = Secret(value)
    _logging.register_held_secret(outside)
    with _known._isolated_registry():
        inside = Secret(value)
        _logging.register_held_secret(inside)
        del outside
        gc.collect()
        assert value not in _logging._builtin_redact(f"x {value} y")
        del inside
        gc.collect()
        assert value in _logging._builtin_redact(f"x {value} y")  # nothing holds it any more
    # back outside: the outer registration went with its collected Secret
    assert value in _logging._builtin_redact(f"x {value} y")


_OPS = st.lists(
    st.tuples(st.sampled_from(["secret", "token", "forget", "held", "drop", "check"]), _VALUE),
    min_size=1,
    max_size=120,
)


@given(ops=_OPS)
@settings(max_examples=150, deadline=None)
def test_the_index_stays_exact_through_registrations_evictions_and_releases(
    ops: list[tuple[str, str]],
) -> None:
    """Once built, the index is kept current by each change (a new secret or token, an LRU
    eviction, `forget_secret`, a collected `Secret`): after any sequence, masking through it
    equals masking with every registered value in turn, for each value ever used."""
    held: dict[str, Secret] = {}
    used: list[str] = []
    with _known._isolated_registry(), mock.patch.object(_known, "_KNOWN_MAX", 40):
        for i in range(_known._INDEX_FROM + 1):  # enough values for the index to be built
            register_secret(f"filler-secret-{i:04d}")
        _known._mask_known("build the index")
        for op, value in ops:
            used.append(value)
            if op == "secret":
                register_secret(value)
            elif op == "token":
                _known.register_token(value)
            elif op == "forget":
                forget_secret(value)
            elif op == "held":
                held[value] = Secret(value)
                _known.register_held_secret(held[value])
            elif op == "drop":
                held.pop(value, None)
                gc.collect()
            for probe in (value, *used[-3:]):
                text = f"a {probe} b"
                with _known._KNOWN_LOCK:
                    _known._drain_released()  # as _mask_known does first
                    everything = [*_known._SECRETS, *_known._KNOWN]
                assert _known._mask_known(text) == _known._mask_all(text, everything), (op, probe)


def test_a_value_evicted_as_a_token_stays_masked_as_a_secret() -> None:
    """A value registered both as a secret and as a token stays in the index (and masked)
    when the token LRU evicts it, and when a held `Secret` of it is collected."""
    with _known._isolated_registry(), mock.patch.object(_known, "_KNOWN_MAX", 40):
        for i in range(_known._INDEX_FROM + 1):
            register_secret(f"filler-secret-{i:04d}")
        _known._mask_known("build the index")
        register_secret("both-a-secret-and-a-token")
        _known.register_token("both-a-secret-and-a-token")
        held = Secret("held-and-a-token-value")
        _known.register_held_secret(held)
        _known.register_token("held-and-a-token-value")
        for i in range(60):  # evicts both from the token LRU
            _known.register_token(f"later-token-{i:04d}")
        assert "both-a-secret-and-a-token" not in _known._KNOWN
        assert "both-a-secret-and-a-token" not in _known._mask_known("x both-a-secret-and-a-token")
        assert "held-and-a-token-value" not in _known._mask_known("x held-and-a-token-value")
        del held
        gc.collect()
        assert "held-and-a-token-value" in _known._mask_known("x held-and-a-token-value")


def test_the_basic_credential_of_an_auth_is_masked_while_the_auth_lives() -> None:
    """The client secret's HTTP Basic form (bare base64 of `id:secret`, which no pattern
    recognises) is masked like the secret itself, after a rotation too, and released with
    the auth."""
    from httpx_pingone_worker import PingOneWorkerAuth

    rotated = "canary-ROTATED-4hT8wQ2zLm6Vx9Kp"
    with _known._isolated_registry():
        auth = PingOneWorkerAuth(
            CANARY_CLIENT_ID, CANARY_SECRET, "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a"
        )
        basic = _known.basic_credential(CANARY_CLIENT_ID, CANARY_SECRET)
        assert_no_canary(redact(f"upstream saw {basic} in a header dump"))
        auth.rotate_secret(rotated)
        basic_rotated = _known.basic_credential(CANARY_CLIENT_ID, rotated)
        out = redact(f"then {basic_rotated}")
        assert basic_rotated not in out
        assert "<redacted:" in out
        auth.close()
        del auth
        gc.collect()
        assert basic in redact(f"x {basic}")  # nothing holds that secret any more
