"""The ``pos`` command: run the till, migrate the store, keep its password, load stock."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from sqlalchemy.exc import OperationalError

from pos.bootstrap import Till, bootstrap
from pos.credentials import NoKeyringError, require_keyring, store_password
from pos.domain.messages import render
from pos.domain.results import Err, Result
from pos.services.catalogue import import_products_csv
from pos.services.demo import load_demo_store
from pos.services.reservations import release_expired
from pos.services.stock import stock_levels
from pos.settings import Settings, SettingsError, data_dir, load_settings
from pos.store.migrate import upgrade

T = TypeVar("T")

HEADINGS = {
    "tr": ("Stok kodu", "Ürün", "Satılabilir", "Rezerve"),
    "en": ("SKU", "Product", "Available", "Reserved"),
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if getattr(args, "url", None):
            settings = replace(settings, database_url=args.url)
        if getattr(args, "demo", False):
            demo_url = f"sqlite:///{data_dir() / 'demo.sqlite3'}"
            settings = replace(settings, database_url=demo_url)
        code: int = args.command(args, settings)
        return code
    except SettingsError as error:
        print(f"pos: {error}", file=sys.stderr)
        return 2
    except NoKeyringError as error:
        print(f"pos: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        print(f"pos: cannot reach the store: {error.orig}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pos", description="Kasa point of sale")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the till (for now: show the store's stock)")
    run.add_argument("--demo", action="store_true", help="use a demo shop in the data directory")
    run.set_defaults(command=_run)

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

    imports = commands.add_parser("import-products", help="create or update products from CSV")
    imports.add_argument("file", type=Path)
    imports.add_argument("--url", help="database URL (default: from the settings)")
    imports.set_defaults(command=_import)

    sweep = commands.add_parser("sweep", help="expire reservations left past their time")
    sweep.add_argument("--url", help="database URL (default: from the settings)")
    sweep.set_defaults(command=_sweep)
    return parser


def _open(settings: Settings) -> Till:
    till = bootstrap(settings)
    upgrade(till.engine)
    return till


def _run(args: argparse.Namespace, settings: Settings) -> int:
    till = _open(settings)
    try:
        if args.demo and _value(load_demo_store(till.uow()), settings) is None:
            return 1
        return _print_stock(till)
    finally:
        till.close()


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
        with args.file.open(encoding="utf-8-sig", newline="") as source:
            report = _value(import_products_csv(till.uow(), source), settings)
        if report is None:
            return 1
        print(f"{report.created} created, {report.updated} updated")
        return 0
    finally:
        till.close()


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
