"""Hostile requests against one listener on a real port: whatever they carry, forged or
stale signatures, broken headers, oversized or malformed bodies (validly signed), wrong
methods or paths, each gets a 4xx and the store stays exactly as it was.

One listener and one store serve the module (on SQLite, and on PostgreSQL when configured).
Beside it sits a card sale whose payment is pending, and every body below is that sale's
success event, bent one way, so a request that slipped through would settle it and show
in the snapshot.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pos.domain.payments import EVENT_OUTCOMES
from pos.payments.signatures import sign
from pos.runtime.listener import HEALTH_PATH, MAX_BODY, WEBHOOK_PATH, WebhookListener
from pos.services.users import create_user
from pos.store.engine import make_engine
from pos.store.models import Role
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, _empty_postgres, value
from tests.integration.test_listener import (
    SECRET,
    CardSale,
    card_sale,
    event_body,
    signed,
    snapshot,
)

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@dataclass
class Served:
    store: Store
    listener: WebhookListener
    http: requests.Session
    sale: CardSale
    body: bytes
    """The sale's success event, made once so every example bends the same bytes."""
    opened: list[int]
    before: tuple[object, ...]

    def assert_untouched(self) -> None:
        assert self.opened == [], "a refused request opened the store"
        assert snapshot(self.store) == self.before


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("fuzz") / "store.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(request.getfixturevalue("postgres_url"))
        _empty_postgres(engine)
    store = Store(request.param, engine.url, engine)
    clock = FakeClock()
    uow = UnitOfWork(engine, clock)
    manager = value(create_user(uow, "mudur", "Ayşe Yılmaz", Role.MANAGER, "4321"))
    sale = card_sale(uow, Shelf(uow, manager))
    opened: list[int] = []

    def factory() -> UnitOfWork:
        opened.append(1)
        return UnitOfWork(engine, clock)

    with (
        WebhookListener(factory, lambda: [SECRET]) as listener,
        requests.Session() as http,
    ):
        yield Served(store, listener, http, sale, event_body(sale), opened, snapshot(store))
    engine.dispose()


def post(served: Served, body: bytes, headers: dict[str, str]) -> requests.Response:
    return served.http.post(served.listener.url, data=body, headers=headers, timeout=10)


# -- signatures --------------------------------------------------------------------------

# Anything http.client will put on the wire as a header value: Latin-1, no line breaks.
header_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=300
).map(str.strip)
hex64 = st.text(alphabet="0123456789abcdefABCDEF", min_size=64, max_size=64)
timestamps = st.integers(min_value=-(10**13), max_value=10**13).map(str) | header_text


@st.composite
def forged_headers(draw: st.DrawFn, body: bytes) -> str:
    return draw(
        st.one_of(
            header_text,
            # Shaped like a real header, with a made-up signature.
            st.builds(
                lambda skew, v: f"t={int(time.time()) + skew},v1={v}",
                st.integers(-300, 300),
                hex64,
            ),
            # A real signature by a secret the till does not hold.
            st.text(min_size=1, max_size=40)
            .filter(lambda secret: secret != SECRET)
            .map(lambda secret: sign(body, secret)),
            # The right secret over another body.
            st.binary(max_size=64)
            .filter(lambda other: other != body)
            .map(lambda other: sign(other, SECRET)),
            # The right signature with its parts mangled.
            st.builds(
                lambda t, v, scheme, sep: f"t={t}{sep}{scheme}={v}",
                timestamps,
                st.just(sign(body, SECRET).split("v1=")[1]) | hex64,
                st.sampled_from(["v0", "V1", "v2", "", "v1 "]),
                st.sampled_from([",", ";", " ", ",,"]),
            ),
            # Two timestamps: which one was signed is ambiguous.
            st.just(f"t=1,{sign(body, SECRET)}"),
        )
    )


@FUZZ
@given(data=st.data(), header=st.sampled_from(["Pos-Signature", "Stripe-Signature"]))
def test_a_forged_or_malformed_signature_is_refused(
    served: Served, data: st.DataObject, header: str
) -> None:
    body = served.body
    value_ = data.draw(forged_headers(body))

    answer = post(served, body, {header: value_})

    assert answer.status_code == 400, (value_, answer.text)
    served.assert_untouched()


@FUZZ
@given(
    skew=st.integers(min_value=305, max_value=10**9),
    ahead=st.booleans(),
    header=st.sampled_from(["Pos-Signature", "Stripe-Signature"]),
)
def test_a_signature_outside_the_tolerance_is_refused(
    served: Served, skew: int, ahead: bool, header: str
) -> None:
    body = served.body
    t = int(time.time()) + (skew if ahead else -skew)

    answer = post(served, body, {header: f"t={t},v1={sign(body, SECRET, timestamp=t)[-64:]}"})

    assert answer.status_code == 400, (t, answer.text)
    served.assert_untouched()


# -- validly signed, but not a payment event ---------------------------------------------

not_dicts = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
)
not_strings = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.text(max_size=3), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
_ID = re.compile(r"[\x21-\x7e]+")


def bad_ids(longest: int) -> st.SearchStrategy[object]:
    return st.one_of(
        not_strings,
        st.text(max_size=longest).filter(lambda text: not _ID.fullmatch(text)),
        st.text(alphabet="abcdef0123_", min_size=longest + 1, max_size=longest + 40),
    )


bad_amounts = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(max_value=-1),
    st.integers(min_value=10**15 + 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
bad_timestamps = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(max_value=-1),
    st.integers(min_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
bad_currencies = st.one_of(
    not_strings, st.text(max_size=5).filter(lambda text: not re.fullmatch(r"[A-Z]{3}", text))
)
bad_payment_ids = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(max_value=0),
    st.integers(min_value=2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.lists(st.integers(), max_size=2),
    st.text(max_size=12).filter(
        lambda text: not re.fullmatch(r"[1-9][0-9]{0,9}", text) or int(text) >= 2**31
    ),
)
BAD_VALUES: dict[str, st.SearchStrategy[object]] = {
    "id": bad_ids(255),
    "type": st.one_of(not_strings, st.text(max_size=30).filter(lambda t: t not in EVENT_OUTCOMES)),
    "created": bad_timestamps,
    "data": not_dicts,
    "data.object": not_dicts,
    "data.object.id": bad_ids(128),
    "data.object.amount": bad_amounts,
    "data.object.currency": bad_currencies,
    "data.object.metadata": not_dicts.filter(lambda v: v is not None),
    "data.object.metadata.payment_id": bad_payment_ids,
}
REQUIRED = [
    "id",
    "type",
    "created",
    "data",
    "data.object",
    "data.object.id",
    "data.object.amount",
    "data.object.currency",
]
_GONE = object()


def bent(body: bytes, path: str, replacement: object) -> bytes:
    document = json.loads(body)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if replacement is _GONE:
        del target[last]
    else:
        target[last] = replacement
    return json.dumps(document).encode()


@st.composite
def malformed_bodies(draw: st.DrawFn, body: bytes) -> bytes:
    kind = draw(st.sampled_from(["mistyped", "missing", "truncated", "bytes", "not an object"]))
    if kind == "mistyped":
        path = draw(st.sampled_from(sorted(BAD_VALUES)))
        return bent(body, path, draw(BAD_VALUES[path]))
    if kind == "missing":
        return bent(body, draw(st.sampled_from(REQUIRED)), _GONE)
    if kind == "truncated":
        # Every strict prefix of a JSON object is broken JSON.
        return body[: draw(st.integers(min_value=0, max_value=len(body) - 1))]
    if kind == "bytes":
        return draw(st.binary(max_size=512))
    return json.dumps(draw(not_dicts)).encode()


@FUZZ
@given(data=st.data())
def test_a_signed_body_that_is_not_a_payment_event_is_refused(
    served: Served, data: st.DataObject
) -> None:
    body = data.draw(malformed_bodies(served.body))

    answer = post(served, body, signed(body))

    assert answer.status_code == 400, (body[:300], answer.text)
    assert answer.json()["error"]["type"] == "invalid_event"
    served.assert_untouched()


# -- wrong methods, paths and sizes ------------------------------------------------------

OTHER_METHODS = ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]
# Not "//…": the HTTP server reads a request target that starts with two slashes as a
# network-path reference and hands the application its path ("//healthz" is /healthz).
paths = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/_-~", max_size=40).map(
    lambda tail: "/" + tail.lstrip("/")
)


@st.composite
def misdirected(draw: st.DrawFn, body: bytes) -> tuple[str, str, bytes, int]:
    """A request that is wrong before its body counts: method, path, expected status."""
    kind = draw(st.sampled_from(["method", "healthz", "path", "size"]))
    if kind == "method":
        return draw(st.sampled_from(OTHER_METHODS)), WEBHOOK_PATH, body, 405
    if kind == "healthz":
        method = draw(st.sampled_from(["POST", *OTHER_METHODS]).filter(lambda m: m != "GET"))
        return method, HEALTH_PATH, body, 405
    if kind == "path":
        path = draw(paths.filter(lambda p: p not in {WEBHOOK_PATH, HEALTH_PATH}))
        return draw(st.sampled_from(["POST", "GET", *OTHER_METHODS])), path, body, 404
    # The event itself, padded past the limit with whitespace: still JSON, still signed.
    size = draw(st.integers(min_value=MAX_BODY + 1, max_value=4 * MAX_BODY))
    return "POST", WEBHOOK_PATH, body[:-1] + b" " * (size - len(body)) + b"}", 413


@FUZZ
@given(data=st.data())
def test_a_wrong_method_path_or_size_is_refused(served: Served, data: st.DataObject) -> None:
    method, path, body, expected = data.draw(misdirected(served.body))
    base = served.listener.url.removesuffix(WEBHOOK_PATH)

    answer = served.http.request(
        method,
        base + path,
        data=None if method == "HEAD" else body,
        headers=signed(body),
        timeout=10,
    )

    assert answer.status_code == expected, (method, path, len(body))
    if expected == 405:
        assert answer.headers["Allow"] == ("POST" if path == WEBHOOK_PATH else "GET")
    served.assert_untouched()


def test_the_store_still_takes_a_good_event_afterwards(served: Served) -> None:
    # Run last in the module: the listener that refused everything above still works.
    body = event_body(served.sale, event_id="evt_after_the_fuzz")

    answer = post(served, body, signed(body))

    assert answer.json() == {"received": True, "outcome": "applied", "duplicate": False}
    assert snapshot(served.store) != served.before
    served.opened.clear()
