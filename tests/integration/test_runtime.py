"""The card machinery a till starts from its settings: terminal, listener, poller."""

from __future__ import annotations

import time

import pytest
import requests

from pos.bootstrap import Till
from pos.payments.simulator import TerminalSimulator
from pos.runtime.payments import PaymentsNotConfigured, payment_runtime
from pos.services.card_payments import start_card_payment
from pos.settings import Settings
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, value
from tests.payments import card_sale

API_KEY = "sk_runtime"


def till_for(store: Store, clock: FakeClock, **settings: object) -> Till:
    url = store.url.render_as_string(hide_password=False)
    return Till(Settings(database_url=url, **settings), store.engine, clock)  # type: ignore[arg-type]


def test_a_configured_till_listens_polls_and_reports_its_terminal(
    store: Store,
    clock: FakeClock,
    uow: UnitOfWork,
    shelf: Shelf,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("POS_TERMINAL_API_KEY", API_KEY)
    monkeypatch.setenv("POS_WEBHOOK_SECRET", "whsec_runtime")
    with TerminalSimulator(api_key=API_KEY, webhook_url=None, webhook_secret=None) as terminal:
        till = till_for(store, clock, terminal_url=terminal.url, listener_port=0)
        runtime = payment_runtime(till, demo=False)
        runtime.start()
        try:
            assert runtime.listener is not None
            webhooks = runtime.listener.url
            health = requests.get(webhooks.replace("/webhook/payment", "/healthz"), timeout=5)
            sale, _cart, _product = card_sale(uow, shelf, 1292)  # the terminal never answers
            value(start_card_payment(uow, runtime.terminal, sale.payment_id))
            status = runtime.status()
        finally:
            runtime.stop()
    assert health.status_code == 200
    assert status.terminal_answers
    assert status.terminal_url == terminal.url
    assert status.listener_url == webhooks
    assert status.unresolved == 1


def test_the_poller_of_a_started_runtime_settles_a_payment_and_tells_the_window(
    store: Store, clock: FakeClock, uow: UnitOfWork, shelf: Shelf
) -> None:
    till = till_for(store, clock)
    runtime = payment_runtime(till, demo=True, decision_delay=0.05)
    changed: list[int] = []
    runtime.on_change = changed.append
    runtime.start()
    try:
        sale, _cart, _product = card_sale(uow, shelf, 1296)  # no webhook: only polling
        value(start_card_payment(uow, runtime.terminal, sale.payment_id))
        deadline = time.monotonic() + 10
        while sale.payment_id not in changed and time.monotonic() < deadline:
            runtime.wake()  # as the window does after Pay; the poller asks at once
            time.sleep(0.05)
        status = runtime.status()
    finally:
        runtime.stop()
    assert changed == [sale.payment_id]
    assert status.unresolved == 0
    assert status.last_event_at is None  # the poller found it: the listener heard nothing
    assert status.terminal_answers


def test_without_a_terminal_or_its_key_card_payments_are_off(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POS_TERMINAL_API_KEY", raising=False)
    with pytest.raises(PaymentsNotConfigured, match="url"):
        payment_runtime(till_for(store, clock), demo=False)
    with pytest.raises(PaymentsNotConfigured, match="pos secrets set terminal"):
        payment_runtime(till_for(store, clock, terminal_url="http://127.0.0.1:9"), demo=False)


def test_a_stopped_terminal_is_reported_as_not_answering(
    store: Store, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POS_TERMINAL_API_KEY", API_KEY)
    till = till_for(store, clock, terminal_url="http://127.0.0.1:9", listener_port=-1)
    runtime = payment_runtime(till, demo=False)
    assert runtime.listener is None
    assert not runtime.status().terminal_answers
