"""The ``pos`` command: run the till, migrate the store, keep its secrets, load stock,
back the store up and restore it, serve webhooks for the whole shop, simulate a card
terminal and a receipt printer, print a printer's test page, and check itself.

The till's window lives in ``ui``, which the core never imports: the console script
(``ui.launcher``) hands ``main`` a function that opens it. Without one, ``pos run``
prints the store's stock instead. The same goes for ``--self-test``: the launcher hands
over the window's part of it; without one the use cases ring up the sales.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from pos import __version__
from pos.bootstrap import Till, bootstrap, start_central
from pos.cli_journal import add_journal_commands
from pos.cli_replica import add_replica_commands
from pos.cli_sync import add_sync_commands
from pos.credentials import (
    SECRET_ENVIRONMENT,
    NoKeyringError,
    require_keyring,
    secrets_for,
    store_password,
    store_secret,
    with_password,
)
from pos.demo_days_cli import add_demo_command
from pos.domain.messages import encoding_name, render
from pos.domain.results import Code, Err, Ok, Result
from pos.payments.simulator import TerminalSimulator
from pos.printing.decode import PrintedDocument
from pos.printing.printers import PrinterFault, escpos_printer
from pos.printing.profile import WIDTHS, PrinterProfile, printer_profile
from pos.printing.simulator import PrinterSimulator
from pos.printing.test_page import printer_test_page
from pos.runtime.listener import WebhookListener
from pos.runtime.self_test import (
    PaidSale,
    SelfTestFailed,
    SelfTestShop,
    check_printed,
    check_sale,
    demo_shop,
    sell_through_services,
)
from pos.services import backups
from pos.services.demo import load_demo_store
from pos.services.product_import import UTF_8, import_products
from pos.services.reservations import release_expired
from pos.services.restore import restore_backup, verify_backup
from pos.services.stock import stock_levels
from pos.settings import Settings, SettingsError, data_dir, load_settings, system_locale
from pos.settings_file import demo_database_url
from pos.store.engine import store_failure
from pos.store.migrate import StoreFault, upgrade

T = TypeVar("T")

HEADINGS = {
    "tr": ("Stok kodu", "Ürün", "Satılabilir", "Rezerve"),
    "en": ("SKU", "Product", "Available", "Reserved"),
}


OpenWindow = Callable[[Till, bool], int]
"""Opens the till's window on a started till; its argument says whether it is the demo."""
SellInWindow = Callable[[SelfTestShop], list[PaidSale]]
"""Rings up the self-test's sales in the till's window, as a cashier would."""


def main(
    argv: Sequence[str] | None = None,
    *,
    open_window: OpenWindow | None = None,
    sell_in_window: SellInWindow | None = None,
) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.self_test:  # before the settings: the user's own play no part in it
        return self_test(sell_in_window or sell_through_services)
    if getattr(args, "command", None) is None:  # plain `pos` or `pos --demo`: the till
        args.command = _run
    args.open_window = open_window
    locale = system_locale()
    try:
        settings = load_settings()
        locale = settings.locale
        if getattr(args, "url", None):
            settings = replace(settings, database_url=args.url)
        if args.demo:
            settings = replace(settings, database_url=demo_database_url())
        code: int = args.command(args, settings)
        return code
    except SettingsError as error:
        print(f"pos: {error}", file=sys.stderr)
        return 2
    except NoKeyringError as error:
        print(f"pos: {error}", file=sys.stderr)
        return 2
    except StoreFault as fault:  # a store too new for this Kasa, a replica not usable
        print(f"pos: {render(fault.error, locale)}", file=sys.stderr)
        return 1
    except OperationalError as error:
        failure = store_failure(error)
        said = render(Err(failure), locale) if failure else "cannot reach the store"
        print(f"pos: {said} ({_first_line(error.orig)})", file=sys.stderr)
        return 1


def self_test(sell: SellInWindow) -> int:
    """Sell in the demo shop in a temporary folder and check what the sales left; 0 only
    if everything held, else 1 after saying what did not."""
    try:
        with demo_shop() as shop:
            paid = sell(shop)
            if len(paid) != len(shop.sales):
                raise SelfTestFailed(f"{len(paid)} of the {len(shop.sales)} sales were paid")
            for sale in paid:
                check_sale(shop.till.uow(), sale)
            check_printed(shop, paid)
    except SelfTestFailed as failure:
        print(f"Kasa {__version__} self-test FAILED: {failure}", file=sys.stderr)
        return 1
    except Exception as error:  # a broken bundle fails however it breaks, and says how
        logging.getLogger(__name__).exception("the self-test broke")
        print(
            f"Kasa {__version__} self-test FAILED: {type(error).__name__}: {error}", file=sys.stderr
        )
        return 1
    sold = ", ".join(f"{sale.planned.tender} sale {sale.order_id}" for sale in paid)
    printed = "; printed with the drawer opened for cash" if shop.printer else ""
    print(f"Kasa {__version__} self-test passed: {sold}; receipts and stock as sold{printed}.")
    return 0


def _first_line(error: BaseException | None) -> str:
    lines = str(error).strip().splitlines()
    return lines[0].removeprefix("connection failed: ") if lines else ""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        # The bundle's program is called kasa; from a checkout the console script is pos.
        prog="kasa" if getattr(sys, "frozen", False) else "pos",
        description="Kasa point of sale. Without a command: open the till.",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="open the demo shop, with a simulated card terminal (nothing to set up)",
    )
    parser.add_argument("--version", action="version", version=f"Kasa {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="sell in cash and by card in a throwaway demo shop and check the receipts and "
        "the stock; exits 0 only if everything held",
    )
    commands = parser.add_subparsers(metavar="COMMAND")

    run = commands.add_parser("run", help="open the till (the same as plain `pos`)")
    run.add_argument("--demo", action="store_true", help="use a demo shop in the data directory")
    run.set_defaults(command=_run)

    sim = commands.add_parser(
        "terminal-sim", help="serve a simulated card terminal (see pos/payments/README.md)"
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    sim.add_argument("--port", type=int, default=8780, help="port to listen on (0: any free)")
    sim.add_argument("--webhook-url", help="where to post signed payment webhooks")
    sim.add_argument("--delay", type=float, default=1.5, help="seconds before a payment is decided")
    sim.set_defaults(command=_terminal_sim)

    printer_sim = commands.add_parser(
        "printer-sim", help="serve a simulated ESC/POS receipt printer; prints what it gets"
    )
    printer_sim.add_argument("--host", default="127.0.0.1", help="address to listen on")
    printer_sim.add_argument(
        "--port", type=int, default=9100, help="port to listen on (0: any free)"
    )
    printer_sim.add_argument(
        "--paper-out", action="store_true", help="say the paper has run out and print nothing"
    )
    printer_sim.set_defaults(command=_printer_sim)

    printer = commands.add_parser("printer", help="the till's receipt printer")
    printer_commands = printer.add_subparsers(required=True, metavar="ACTION")
    printer_test = printer_commands.add_parser(
        "test", help="print a test page: every Turkish letter, the columns and a cut"
    )
    printer_test.add_argument(
        "--printer",
        help="tcp://HOST:9100, usb:VID:PID, serial:/dev/ttyS0 or file:/PATH "
        "(default: [printer] in the settings)",
    )
    printer_test.add_argument("--width", type=int, choices=WIDTHS, help="columns")
    printer_test.set_defaults(command=_printer_test)

    serve = commands.add_parser(
        "serve-webhooks", help="receive card terminals' webhooks for every till of a store"
    )
    serve.add_argument("--url", help="database URL (default: from the settings)")
    serve.add_argument("--host", help="address to listen on (default: from the settings)")
    serve.add_argument("--port", type=int, help="port to listen on (default: from the settings)")
    serve.set_defaults(command=_serve_webhooks)

    keep = commands.add_parser("secrets", help="keep the card terminal's secrets in the keyring")
    keep_commands = keep.add_subparsers(required=True, metavar="ACTION")
    keep_set = keep_commands.add_parser(
        "set", help="store a secret; the one it replaces stays valid beside it"
    )
    keep_set.add_argument(
        "name",
        choices=sorted(SECRET_ENVIRONMENT),
        help="webhook: the webhook signing secret; terminal: the terminal's API key",
    )
    keep_set.set_defaults(command=_set_secret)

    db = commands.add_parser("db", help="the store's schema and password")
    db_commands = db.add_subparsers(required=True, metavar="ACTION")
    up = db_commands.add_parser("upgrade", help="migrate the store to the newest schema")
    up.add_argument("--url", help="database URL (default: from the settings)")
    up.set_defaults(command=_upgrade)
    password = db_commands.add_parser(
        "set-password", help="keep the PostgreSQL password in the OS keyring"
    )
    password.add_argument("--url", help="database URL (default: from the settings)")
    password.set_defaults(command=_set_password)

    stock = commands.add_parser("stock", help="show current stock")
    stock.add_argument("--url", help="database URL (default: from the settings)")
    stock.set_defaults(command=_stock)

    imports = commands.add_parser(
        "import-products", help="create or update products from a CSV file (UTF-8 or Windows-1254)"
    )
    imports.add_argument("file", type=Path)
    imports.add_argument("--url", help="database URL (default: from the settings)")
    imports.set_defaults(command=_import)

    backup = commands.add_parser(
        "backup", help="back the store up now (see README: Backups); list or verify backups"
    )
    backup.add_argument("--url", help="database URL (default: from the settings)")
    backup.add_argument("--to", type=Path, help="this folder only, instead of the set places")
    backup.set_defaults(command=_backup)
    backup_commands = backup.add_subparsers(metavar="ACTION")
    listing = backup_commands.add_parser("list", help="the backups kept, newest first")
    listing.set_defaults(command=_backup_list)
    verify = backup_commands.add_parser(
        "verify", help="restore a backup into a scratch store and check its books"
    )
    verify.add_argument("file", type=Path)
    verify.set_defaults(command=_backup_verify)

    restore = commands.add_parser(
        "restore", help="replace the store with a backup (close the till first)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument("--url", help="database URL (default: from the settings)")
    restore.add_argument(
        "--force", action="store_true", help="even if the store holds sales the backup lacks"
    )
    restore.set_defaults(command=_restore)

    sweep = commands.add_parser("sweep", help="expire reservations left past their time")
    sweep.add_argument("--url", help="database URL (default: from the settings)")
    sweep.set_defaults(command=_sweep)
    add_journal_commands(commands)
    add_replica_commands(commands)
    add_demo_command(commands)
    add_sync_commands(commands)
    return parser


def _open(settings: Settings) -> Till:
    till = bootstrap(settings)
    upgrade(till.engine)
    return till


def _run(args: argparse.Namespace, settings: Settings) -> int:
    # The window opens the replica on a worker while the till sells online.
    till = bootstrap(settings, replica_later=args.open_window is not None)
    try:
        start_central(till)  # offline on the replica if the central store cannot serve
        _say_notes(till, window=args.open_window is not None)
        if args.demo and _value(load_demo_store(till.uow()), settings) is None:
            return 1
        if args.open_window is None:
            return _print_stock(till)
        code: int = args.open_window(till, args.demo)
        return code
    finally:
        till.close()


def _say_notes(till: Till, *, window: bool) -> None:
    """What the till cannot use, said on the command line before the window opens."""
    notes, locale = till.notes, till.settings.locale
    if notes.replica_missing is not None and not window:  # the window builds it
        missing = Err(Code.REPLICA_MISSING, {"path": str(notes.replica_missing)})
        print(f"pos: {render(missing, locale)}", file=sys.stderr)
    for fault in (notes.replica, notes.central):
        if fault is not None:
            print(f"pos: {render(fault.error, locale)}", file=sys.stderr)
    if notes.replica is not None:
        print("pos: selling online only until the replica is rebuilt", file=sys.stderr)
    if notes.started_offline:
        print(
            "pos: the central store cannot serve this till: selling offline on its replica",
            file=sys.stderr,
        )


def _terminal_sim(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("pos").setLevel(logging.INFO)  # a line per request and event
    api_keys, webhook_secrets = secrets_for("terminal"), secrets_for("webhook")
    if not api_keys or (args.webhook_url and not webhook_secrets):
        print(
            "pos: the simulator needs the terminal's API key and the webhook secret the "
            "till knows: run `pos secrets set terminal` and `pos secrets set webhook` "
            "(or set POS_TERMINAL_API_KEY and POS_WEBHOOK_SECRET)",
            file=sys.stderr,
        )
        return 2
    simulator = TerminalSimulator(
        args.host,
        args.port,
        api_key=api_keys[0],
        webhook_url=args.webhook_url,
        webhook_secret=webhook_secrets[0] if webhook_secrets else None,
        decision_delay=args.delay,
    ).start()
    ready = f"Terminal simulator on {simulator.url}; Ctrl+C stops it."
    return _serve_until_interrupted(simulator.wait, simulator.stop, ready)


def _printer_sim(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("pos").setLevel(logging.INFO)

    def show(document: PrintedDocument) -> None:
        print(document.text, end="", flush=True)

    try:
        simulator = PrinterSimulator(args.host, args.port, on_document=show).start()
    except OSError as error:
        print(f"pos: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    simulator.paper_out = args.paper_out
    ready = f"Printer simulator on {simulator.url}; Ctrl+C stops it."
    return _serve_until_interrupted(simulator.wait, simulator.stop, ready)


def _printer_test(args: argparse.Namespace, settings: Settings) -> int:
    profile: PrinterProfile | None = settings.printer
    try:
        if args.printer:
            profile = printer_profile(args.printer, width=args.width or 42)
        elif profile is not None and args.width:
            profile = replace(profile, width=args.width)
    except ValueError as error:
        print(f"pos: {error}", file=sys.stderr)
        return 2
    if profile is None:
        print(
            "pos: no printer: give --printer tcp://HOST:9100 or set [printer] url in the settings",
            file=sys.stderr,
        )
        return 2
    try:
        escpos_printer(profile).print_document(printer_test_page(profile))
    except PrinterFault as fault:
        print(f"pos: {profile.connection} did not print: {fault}", file=sys.stderr)
        return 1
    print(f"Test page sent to {profile.connection}.")
    return 0


def _serve_webhooks(args: argparse.Namespace, settings: Settings) -> int:
    logging.getLogger("pos").setLevel(logging.INFO)  # a line per request and event
    if not secrets_for("webhook"):
        print(
            "pos: no webhook secret: run `pos secrets set webhook` (or set POS_WEBHOOK_SECRET)",
            file=sys.stderr,
        )
        return 2
    till = _open(settings)
    host = args.host or settings.listener_host
    port = settings.listener_port if args.port is None else args.port
    listener = WebhookListener(
        till.uow,
        lambda: secrets_for("webhook"),
        provider=settings.terminal_provider,
        host=host,
        port=max(port, 0),
    ).start()
    ready = f"Listening for payment webhooks on {listener.url}; Ctrl+C stops it."
    stopped = threading.Event()
    try:
        return _serve_until_interrupted(stopped.wait, listener.stop, ready)
    finally:
        till.close()


def _serve_until_interrupted(
    wait: Callable[[], object], stop: Callable[[], None], ready: str
) -> int:
    """Say ``ready`` and serve until Ctrl+C; the line is printed inside the ``try``, so an
    interrupt sent as soon as it is read stops the server cleanly."""
    try:
        print(ready, flush=True)
        wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()
    return 0


def _set_secret(args: argparse.Namespace, settings: Settings) -> int:
    require_keyring(args.name)  # before asking: never take a secret we cannot keep safely
    try:
        secret = getpass.getpass(f"{args.name} secret: ")
    except EOFError:
        secret = ""
    if not secret.strip():
        print("pos: no secret given; nothing stored", file=sys.stderr)
        return 2
    store_secret(args.name, secret.strip())
    print(f"The {args.name} secret is in the OS keyring.")
    return 0


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    till = _open(settings)
    till.close()
    print(f"{till.engine.url.render_as_string(hide_password=True)}: up to date")
    return 0


def _set_password(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.database_url.startswith("postgresql"):
        print("pos: the store is not PostgreSQL; it needs no password", file=sys.stderr)
        return 2
    require_keyring()  # before asking: never take a secret we cannot keep safely
    try:
        secret = getpass.getpass("PostgreSQL password: ")
    except EOFError:
        secret = ""
    if not secret:
        print("pos: no password given; nothing stored", file=sys.stderr)
        return 2
    store_password(settings.database_url, secret)
    print("The password is in the OS keyring.")
    return 0


def _stock(args: argparse.Namespace, settings: Settings) -> int:
    till = _open(settings)
    try:
        return _print_stock(till)
    finally:
        till.close()


def _import(args: argparse.Namespace, settings: Settings) -> int:
    till = _open(settings)
    try:
        line = _ProgressLine() if sys.stderr.isatty() else None
        try:
            result = import_products(till.uow(), args.file, progress=line)
        finally:
            if line is not None:
                line.end()
        report = _value(result, settings)
        if report is None:
            return 1
        print(f"{report.created} created, {report.updated} updated")
        if report.ignored_columns:
            print(f"columns not read: {', '.join(report.ignored_columns)}")
        if report.encoding != UTF_8:
            print(f"read as {encoding_name(report.encoding, settings.locale)}")
        return 0
    finally:
        till.close()


class _ProgressLine:
    """How far an import has read, on one line of the terminal that it keeps rewriting."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        text = f"{done * 100 // total} %" if total else f"{done // 1024:,} KiB"
        print(f"\r{text}", end="", file=sys.stderr, flush=True)
        self.shown = True

    def end(self) -> None:
        if self.shown:
            print(file=sys.stderr)


def _sweep(args: argparse.Namespace, settings: Settings) -> int:
    till = _open(settings)
    try:
        report = _value(release_expired(till.uow()), settings)
        if report is None:
            return 1
        print(f"{report.expired} reservations expired, {report.units_returned} units returned")
        return 0
    finally:
        till.close()


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    url = with_password(settings.database_url)
    where = (args.to,) if args.to else backups.places(settings.backup, data_dir())
    if url.get_backend_name() != "sqlite":
        print(f"pg_dump --format=custom {url.render_as_string(hide_password=True)}", flush=True)
    result = backups.make_backup(url, where, settings.backup)
    if isinstance(result, Err):
        _value(result, settings)
        return 1
    for made in result.value.made:
        print(f"{made.path}  {_backup_line(made, settings.locale)}")
    for removed in result.value.removed:
        print(f"removed (rotation): {removed}")
    if not isinstance(result, Ok):  # made, but a second place did not take its copy
        print(render(result, settings.locale), file=sys.stderr)
    return 0


def _backup_list(args: argparse.Namespace, settings: Settings) -> int:
    where = (args.to,) if args.to else backups.places(settings.backup, data_dir())
    found = backups.list_backups(where)
    if not found:
        print(f"no backups in {', '.join(str(place) for place in where)}")
        return 0
    for backup in found:
        print(f"{backup.path}  {_backup_line(backup, settings.locale)}")
    return 0


def _backup_line(backup: backups.BackupFile, locale: str) -> str:
    made = backup.made_at.astimezone().strftime("%Y-%m-%d %H:%M")
    size = f"{backup.size / 1_048_576:.1f} MiB"
    if locale == "tr":
        sales = "? satış" if backup.sales is None else f"{backup.sales} satış"
        last = f", son fiş {backup.last_receipt}" if backup.last_receipt else ""
    else:
        sales = "? sales" if backup.sales is None else f"{backup.sales} sales"
        last = f", last receipt {backup.last_receipt}" if backup.last_receipt else ""
    return f"{made}  {size}  {sales}{last}"


def _backup_verify(args: argparse.Namespace, settings: Settings) -> int:
    verified = _value(
        verify_backup(args.file, server=with_password(settings.database_url)), settings
    )
    if verified is None:
        return 1
    print(f"{args.file}: good ({', '.join(verified.checks)})")
    print(f"  {_backup_line(verified.backup, settings.locale)}")
    return 0


def _restore(args: argparse.Namespace, settings: Settings) -> int:
    restored = _value(
        restore_backup(args.file, with_password(settings.database_url), force=args.force),
        settings,
    )
    if restored is None:
        return 1
    print(f"restored from {args.file}  {_backup_line(restored.backup, settings.locale)}")
    if restored.kept_aside is not None:
        print(f"the store it replaced is kept at {restored.kept_aside}")
    if restored.sales_lost:
        print(f"{restored.sales_lost} sales of the replaced store are not in the backup")
    return 0


def _print_stock(till: Till) -> int:
    levels = _value(stock_levels(till.uow(), limit=10_000), till.settings)
    if levels is None:
        return 1
    headings = HEADINGS[till.settings.locale]
    rows = [headings] + [
        (level.sku, level.name, str(level.available), str(level.reserved)) for level in levels
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  "
            f"{row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}"
        )
    return 0


def _value(result: Result[T], settings: Settings) -> T | None:
    """The result's value, or None after telling the user what was refused."""
    if not isinstance(result, Err):
        return result.value
    print(render(result, settings.locale), file=sys.stderr)
    for detail in result.details:
        print(f"  {render(detail, settings.locale)}", file=sys.stderr)
    return None


if __name__ == "__main__":
    raise SystemExit(main())
