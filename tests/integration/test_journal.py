"""The till's journal (DESIGN.md §9): one signed, chained entry per event, written in the
event's own transaction; the store refuses changing or deleting entries; and whatever is
done to them behind the application's back (raw SQL, the triggers dropped), the check
names the first entry that no longer holds. Both stores.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError

from pos.domain.journal import GENESIS, Problem, content_digest, entry_hash, utc_text
from pos.domain.payments import RefundStatus, Settler
from pos.domain.results import Code
from pos.journal_keys import KEY_DIR_ENV, public_bytes
from pos.services.cart import add_to_cart
from pos.services.checkout import checkout
from pos.services.drawer import open_drawer_without_sale
from pos.services.journal_verify import VerifyReport, verify
from pos.services.payments import finalise_paid, mark_paid
from pos.services.refunds import finalise_refund, void_tendered_sale
from pos.services.returns import LooseReturn, ReturnRequest, return_without_receipt
from pos.services.tenders import Cash
from pos.store.models import TillRow
from pos.store.models_journal import JournalEntry, TillKey
from pos.store.uow import UnitOfWork
from tests.conftest import FakeClock, Shelf, Store, error, value
from tests.integration.test_returns import back, sell
from tests.sales import key, new_cart, pay_by_card, pay_cash, rows, shown_total

pytestmark = pytest.mark.usefixtures("manager")
ROOT = Path(__file__).resolve().parents[2]


def entries(store: Store) -> list[Any]:
    return rows(store, JournalEntry, order_by=JournalEntry.seq)


def head(store: Store) -> tuple[int, str]:
    with store.engine.connect() as connection:
        row = connection.execute(select(TillRow.journal_seq, TillRow.journal_hash)).one()
    return int(row.journal_seq), str(row.journal_hash)


def checked(uow: UnitOfWork, till: str | None = None, *, every: bool = False) -> VerifyReport:
    return value(verify(uow, till, every_signature=every))


def cash_sales(uow: UnitOfWork, shelf: Shelf, count: int) -> list[Any]:
    product = shelf.product(stock=100, price_minor=1250)
    sales = []
    for _ in range(count):
        cart = new_cart(uow)
        value(add_to_cart(uow, cart, product, 2))
        sales.append(value(pay_cash(uow, cart)))
    return sales


# -- one entry per event, in the event's transaction ------------------------------------


def test_each_paid_sale_is_one_entry_chained_to_the_one_before(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    sales = cash_sales(uow, shelf, 3)

    written = entries(store)
    assert [(entry.seq, entry.kind, entry.event_id) for entry in written] == [
        (number, "sale", str(sale.order_id)) for number, sale in enumerate(sales, start=1)
    ]
    assert written[0].prev_hash == GENESIS
    assert [entry.prev_hash for entry in written[1:]] == [entry.hash for entry in written[:-1]]
    assert '"receipt":1' in written[0].content
    assert '"total":2500' in written[0].content
    assert '"tenders":[{"amount":2500,"change":0,"method":"cash"' in written[0].content
    assert head(store) == (3, written[-1].hash)
    (chain,) = checked(uow).chains
    assert (chain.till_code, chain.entries, chain.fault) == ("T01", 3, None)
    assert len(chain.keys) == 1


def test_a_card_sale_is_journalled_once_when_it_is_paid_and_not_before(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_by_card(uow, cart))
    assert entries(store) == []

    value(mark_paid(uow, sale.payment_id))
    value(mark_paid(uow, sale.payment_id))  # the webhook and the poller both said so

    assert [entry.event_id for entry in entries(store)] == [str(sale.order_id)]


def test_a_sale_rolled_back_leaves_no_entry_and_the_head_where_it_was(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_by_card(uow, cart))
    with uow:
        finalise_paid(uow.connection, sale.payment_id, uow.now())
        assert uow.connection.execute(select(func.count()).select_from(JournalEntry)).scalar() == 1
        # ...and the transaction ends without commit.

    assert entries(store) == []
    assert head(store) == (0, GENESIS)


def test_a_sale_whose_entry_cannot_be_signed_is_not_paid(
    store: Store, uow: UnitOfWork, shelf: Shelf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = shelf.product(stock=5)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    sale = value(pay_by_card(uow, cart))
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")  # the key's folder cannot be made: no key, no entry
    monkeypatch.setenv(KEY_DIR_ENV, str(blocked))

    with pytest.raises(NotADirectoryError):
        mark_paid(uow, sale.payment_id)

    assert entries(store) == []
    monkeypatch.undo()
    assert value(mark_paid(uow, sale.payment_id)).order_paid
    assert len(entries(store)) == 1


def test_voids_refunds_returns_and_drawer_openings_are_entries_too(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any, manager: Any
) -> None:
    product = shelf.product(stock=10, price_minor=5000)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 1))
    part = value(
        pay_cash_part(uow, cart, 2000)
    )  # 20,00 of 50,00 paid, then the customer walks away
    value(void_tendered_sale(uow, part.order_id, user_id=cashier.id))
    sale, _products = sell(uow, shelf, (1250, 2))
    value(back(uow, sale, cashier, ReturnRequest(1, 1)))
    sku = shelf.product(stock=1, price_minor=700)
    loose = value(
        return_without_receipt(
            uow,
            [LooseReturn(f"SKU-{sku:04d}", 1)],
            reason="Fişi kaybolmuş",
            user_id=cashier.id,
            approved_by=manager.id,
        )
    )
    value(open_drawer_without_sale(uow, user_id=cashier.id, reason="Bozuk para lazım"))
    error(open_drawer_without_sale(uow, user_id=cashier.id, reason=""))  # refused: no entry

    kinds = [(entry.kind, entry.event_id) for entry in entries(store)]
    assert [kind for kind, _ in kinds] == ["void", "refund", "sale", "refund", "refund", "drawer"]
    assert kinds[0][1] == str(part.order_id)
    assert kinds[2][1] == str(sale.order_id)
    assert kinds[4][1] == str(loose.return_id)
    assert checked(uow).holds


def test_a_card_refund_is_an_entry_once_the_terminal_says_it_went_through(
    store: Store, uow: UnitOfWork, shelf: Shelf, cashier: Any
) -> None:
    product = shelf.product(stock=5, price_minor=1250)
    cart = new_cart(uow)
    value(add_to_cart(uow, cart, product, 2))
    sale = value(pay_by_card(uow, cart))
    paid = value(mark_paid(uow, sale.payment_id))
    made = value(back(uow, paid, cashier, ReturnRequest(1, 1)))
    (waiting,) = made.card_refunds
    assert [entry.kind for entry in entries(store)] == ["sale"]  # not back yet

    for _ in range(2):  # the webhook, then the poller, say it went through
        with uow:
            finalise_refund(
                uow.connection,
                waiting.refund_id,
                RefundStatus.SUCCEEDED,
                uow.now(),
                Settler.WEBHOOK,
            )
            uow.commit()

    written = entries(store)
    assert [(entry.kind, entry.event_id) for entry in written] == [
        ("sale", str(sale.order_id)),
        ("refund", str(waiting.refund_id)),
    ]
    assert '"amount":1250' in written[1].content


def pay_cash_part(uow: UnitOfWork, cart: int, amount: int) -> Any:
    return checkout(
        uow,
        cart,
        shown_total_minor=shown_total(uow, cart),
        tender=Cash(amount, amount_minor=amount),
        idempotency_key=key(),
    )


# -- the store refuses changes ------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journal SET content = '{}' WHERE seq = 1",
        "UPDATE journal SET hash = prev_hash",
        "DELETE FROM journal WHERE seq = 2",
        "DELETE FROM journal",
    ],
)
def test_the_store_refuses_to_change_or_delete_an_entry(
    store: Store, uow: UnitOfWork, shelf: Shelf, statement: str
) -> None:
    cash_sales(uow, shelf, 2)
    before = [tuple(entry) for entry in entries(store)]

    with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as connection:
        connection.execute(text(statement))

    assert [tuple(entry) for entry in entries(store)] == before


# -- behind the application's back --------------------------------------------------------


@contextmanager
def triggers_dropped(store: Store) -> Iterator[Connection]:
    """A transaction on the store with the journal's triggers gone, as someone with the
    database's password could do; put back afterwards (the PostgreSQL store is shared)."""
    with store.engine.begin() as connection:
        if store.dialect == "sqlite":
            connection.execute(text("DROP TRIGGER journal_no_update"))
            connection.execute(text("DROP TRIGGER journal_no_delete"))
        else:
            connection.execute(text("DROP TRIGGER journal_append_only ON journal"))
        yield connection
        if store.dialect != "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER journal_append_only BEFORE UPDATE OR DELETE ON journal"
                    " FOR EACH ROW EXECUTE FUNCTION journal_append_only()"
                )
            )


def forged_row(connection: Connection, seq: int, prev: str, key: Ed25519PrivateKey) -> None:
    """An entry a forger writes at ``seq`` after ``prev``: a plausible sale, hashed right,
    signed with a key of the forger's (against the till's registered key)."""
    content = '{"total":1}'
    at = "2026-03-02T09:00:00.000000+00:00"
    event = "00000000-0000-0000-0000-000000000001"
    digest = entry_hash(prev, "T01", seq, "sale", event, at, content_digest(content))
    key_id = connection.execute(select(TillKey.id)).scalars().first()
    connection.execute(
        JournalEntry.__table__.insert().values(  # type: ignore[attr-defined]
            till_id=1,
            seq=seq,
            kind="sale",
            event_id=event,
            at=_at(at),
            content=content,
            prev_hash=prev,
            hash=digest,
            key_id=key_id,
            signature=key.sign(bytes.fromhex(digest)),
        )
    )


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _renumber(connection: Connection, moves: dict[int, int]) -> None:
    """Give entries other numbers, through a spare range so no two share one meanwhile."""
    for old in moves:
        connection.execute(text(f"UPDATE journal SET seq = {old + 1000} WHERE seq = {old}"))
    for old, new in moves.items():
        connection.execute(text(f"UPDATE journal SET seq = {new} WHERE seq = {old + 1000}"))


def _hash_of(connection: Connection, seq: int) -> str:
    return str(connection.execute(text(f"SELECT hash FROM journal WHERE seq = {seq}")).scalar())


def change_content(connection: Connection) -> None:
    connection.execute(
        text("UPDATE journal SET content = replace(content, '2500', '250') WHERE seq = 3")
    )


def change_hash(connection: Connection) -> None:
    connection.execute(text(f"UPDATE journal SET hash = '{'a' * 64}' WHERE seq = 3"))


def remove_one(connection: Connection) -> None:
    connection.execute(text("DELETE FROM journal WHERE seq = 3"))


def remove_the_last(connection: Connection) -> None:
    connection.execute(text("DELETE FROM journal WHERE seq = 5"))


def insert_at_the_end(connection: Connection) -> None:
    forged_row(connection, 6, _hash_of(connection, 5), Ed25519PrivateKey.generate())


def insert_in_the_middle(connection: Connection) -> None:
    _renumber(connection, {seq: seq + 1 for seq in (3, 4, 5)})
    forged_row(connection, 3, _hash_of(connection, 2), Ed25519PrivateKey.generate())


def swap_two(connection: Connection) -> None:
    _renumber(connection, {2: 4, 4: 2})


def swap_neighbours(connection: Connection) -> None:
    _renumber(connection, {3: 4, 4: 3})


def rewrite_from_the_third(connection: Connection) -> None:
    """Change the third sale's total and hash every entry again from there, as a forger
    who knows the rules but not the till's key would."""
    change_content(connection)
    prev = _hash_of(connection, 2)
    for seq in range(3, 6):
        row = connection.execute(
            text(f"SELECT kind, event_id, at, content FROM journal WHERE seq = {seq}")
        ).one()
        at = row.at if not isinstance(row.at, str) else _at(row.at.replace(" ", "T") + "+00:00")
        digest = entry_hash(
            prev, "T01", seq, row.kind, row.event_id, utc_text(at), content_digest(row.content)
        )
        connection.execute(text(f"UPDATE journal SET hash = '{digest}' WHERE seq = {seq}"))
        connection.execute(text(f"UPDATE journal SET prev_hash = '{prev}' WHERE seq = {seq}"))
        prev = digest
    connection.execute(text(f"UPDATE tills SET journal_hash = '{prev}' WHERE id = 1"))


TAMPERING: list[tuple[Callable[[Connection], None], int, Problem, str | None]] = [
    (change_content, 3, Problem.CHANGED, "sale"),
    (change_hash, 3, Problem.CHANGED, "sale"),
    (remove_one, 3, Problem.REMOVED, None),
    (remove_the_last, 5, Problem.REMOVED, None),
    (insert_at_the_end, 6, Problem.FORGED, "sale"),
    (insert_in_the_middle, 3, Problem.INSERTED, "sale"),
    (swap_two, 2, Problem.REORDERED, "sale"),
    (swap_neighbours, 3, Problem.REORDERED, "sale"),
    (rewrite_from_the_third, 3, Problem.FORGED, "sale"),
]


@pytest.mark.parametrize("every", [False, True], ids=["proving", "every-signature"])
@pytest.mark.parametrize(
    ("tamper", "seq", "problem", "kind"), TAMPERING, ids=[case[0].__name__ for case in TAMPERING]
)
def test_whatever_is_done_behind_its_back_the_check_names_the_first_entry_that_fails(
    store: Store,
    uow: UnitOfWork,
    shelf: Shelf,
    tamper: Callable[[Connection], None],
    seq: int,
    problem: Problem,
    kind: str | None,
    every: bool,
) -> None:
    cash_sales(uow, shelf, 5)
    assert checked(uow).holds

    with triggers_dropped(store) as connection:
        tamper(connection)

    report = checked(uow, every=every)
    (chain,) = report.chains
    assert not report.holds
    assert chain.fault is not None
    assert (chain.fault.seq, chain.fault.problem, chain.fault.kind) == (seq, problem, kind)


def test_a_key_the_forger_registers_shows_beside_the_tills_own(
    store: Store, uow: UnitOfWork, shelf: Shelf
) -> None:
    cash_sales(uow, shelf, 2)
    forger = Ed25519PrivateKey.generate()
    with triggers_dropped(store) as connection:
        connection.execute(
            TillKey.__table__.insert().values(  # type: ignore[attr-defined]
                till_id=1,
                public_key=public_bytes(forger),
                created_at=_at("2026-03-02T10:00:00+00:00"),
            )
        )
        key_id = connection.execute(select(func.max(TillKey.id))).scalar()
        forged_row(connection, 3, _hash_of(connection, 2), forger)
        connection.execute(text(f"UPDATE journal SET key_id = {key_id} WHERE seq = 3"))

    (chain,) = checked(uow).chains
    # Signed by a key the store holds for the till: the chain holds, but the report
    # shows a second key for the till, which the shop never made.
    assert len(chain.keys) == 2


def test_an_unknown_till_is_refused(uow: UnitOfWork) -> None:
    assert error(verify(uow, "T99")).code is Code.TILL_NOT_FOUND


# -- the command --------------------------------------------------------------------------


def run_verify(store: Store, tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = dict(os.environ)
    environment.update(
        PYTHONPATH=str(ROOT),
        POS_LOCALE="en",
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
    )
    url = store.url.render_as_string(hide_password=False)
    return subprocess.run(
        [sys.executable, "-m", "pos.cli", "journal", "verify", "--url", url, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_pos_journal_verify_says_ok_or_names_the_entry_and_fails(
    store: Store, uow: UnitOfWork, shelf: Shelf, tmp_path: Path
) -> None:
    cash_sales(uow, shelf, 4)

    held = run_verify(store, tmp_path, "--till", "T01")
    assert held.returncode == 0, held.stderr
    assert held.stdout.startswith("T01: OK, 4 entries\n  signing key ")

    with triggers_dropped(store) as connection:
        swap_neighbours(connection)

    for every in ((), ("--all-signatures",)):
        broken = run_verify(store, tmp_path, *every)
        assert broken.returncode == 1, broken.stderr
        assert "T01: entries were reordered: entry 3 (sale " in broken.stdout
        assert "belongs at 4" in broken.stdout
    unknown = run_verify(store, tmp_path, "--till", "T99")
    assert unknown.returncode == 2
    assert "Till not found" in unknown.stderr


# -- many tills' sales at once --------------------------------------------------------------


def test_sales_card_results_voids_and_drawer_openings_at_once_keep_the_chain_without_gaps(
    store: Store, uow: UnitOfWork, shelf: Shelf, clock: FakeClock, cashier: Any
) -> None:
    # Every sale holds the same two products: the finalises meet on the shelf's rows as
    # well as on the till's, as at a busy till with its webhook listener beside it.
    products = [shelf.product(stock=100, price_minor=2500) for _ in range(2)]

    def rung_up() -> int:
        cart = new_cart(uow)
        for product in products:
            value(add_to_cart(uow, cart, product, 1))
        return cart

    cash = [rung_up() for _ in range(12)]
    cards = [value(pay_by_card(uow, rung_up())).payment_id for _ in range(8)]
    part_paid = [value(pay_cash_part(uow, rung_up(), 1000)).order_id for _ in range(3)]
    failures: list[BaseException] = []
    start = threading.Barrier(9)

    def worker(step: Callable[[UnitOfWork, Any], object], items: list[Any]) -> threading.Thread:
        def run() -> None:
            try:
                start.wait()
                for item in items:
                    value(step(UnitOfWork(store.engine, clock), item))  # type: ignore[arg-type]
            except BaseException as failure:
                failures.append(failure)

        return threading.Thread(target=run)

    threads = [worker(pay_cash, cash[i::4]) for i in range(4)]
    threads += [worker(mark_paid, cards[i::2]) for i in range(2)]  # the listener's results
    threads += [
        worker(lambda w, order: void_tendered_sale(w, order, user_id=cashier.id), part_paid)
    ]
    threads += [
        worker(
            lambda w, _: open_drawer_without_sale(w, user_id=cashier.id, reason="Bozuk para"),
            [None] * 3,
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    written = entries(store)
    assert [entry.seq for entry in written] == list(range(1, 33))
    kinds = [entry.kind for entry in written]
    assert (kinds.count("sale"), kinds.count("void"), kinds.count("refund")) == (20, 3, 3)
    assert kinds.count("drawer") == 6
    (chain,) = checked(uow).chains
    assert (chain.entries, chain.fault) == (32, None)


@pytest.mark.parametrize("threads", [1, 2], ids=["forked", "spawned"])
def test_a_long_journal_checked_on_every_core_gives_the_same_answer(
    threads: int,
    store: Store,
    uow: UnitOfWork,
    shelf: Shelf,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from pos.services import journal_verify

    cash_sales(uow, shelf, 5)
    with triggers_dropped(store) as connection:
        insert_at_the_end(connection)
    alone = checked(uow, every=True).chains
    # Pages of two entries, each page's signatures checked by a spawned process.
    monkeypatch.setattr(journal_verify, "PARALLEL_FROM", 1)
    monkeypatch.setattr(journal_verify, "PAGE", 2)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    # A program with threads (the till's window) spawns its workers instead of forking.
    monkeypatch.setattr("threading.active_count", lambda: threads)

    pooled = checked(uow, every=True).chains

    assert pooled == alone == checked(uow).chains
    assert "checking signatures here" not in caplog.text  # the pool did check them
    assert pooled[0].fault is not None
    assert (pooled[0].fault.seq, pooled[0].fault.problem) == (6, Problem.FORGED)
