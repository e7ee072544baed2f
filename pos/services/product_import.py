"""Products from a supplier's CSV file: read in bounded pieces, checked whole, written
in batches, all or nothing."""

from __future__ import annotations

import csv
import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol, TextIO

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    Row,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from pos.domain.catalogue import (
    DEFAULT_TAX_RATE_BP,
    KDV_RATES_BP,
    parse_tax_rate,
    search_words,
)
from pos.domain.money import (
    DEFAULT_CURRENCY,
    MAX_PRICE_MINOR,
    is_currency,
    minor_digits,
    parse_scaled,
)
from pos.domain.results import Changed, Code, Err, Ok, Refused, Result
from pos.domain.text import printable
from pos.services._support import audit, is_id, use_case
from pos.services.catalogue import (
    ProductDraft,
    product_row,
    product_words,
    refuse_unless_manager,
    validate_draft,
)
from pos.store.models import (
    DEFAULT_LOCATION_ID,
)
from pos.store.tables import inventory, products
from pos.store.uow import UnitOfWork

CSV_COLUMNS = ("sku", "name", "price")
"""Required CSV columns; ``barcode``, ``tax_rate`` (percent), ``currency`` and ``unit``
(``adet``/``piece``, ``kg``, ``l``, ``m``; blank: a new product is sold by the piece and an
existing one keeps its unit) are optional."""
DELIMITERS = (",", ";", "\t")
"""Between cells: a comma, or the semicolon a spreadsheet writes where the comma is the
decimal mark (Excel in Turkish), or a tab."""
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d*)?")
"""``1.234,50``: dots between thousands, as a comma-decimal spreadsheet writes them."""
UTF_8, WINDOWS_1254 = "utf-8", "cp1254"
"""The encodings a product file is read in: UTF-8, or where a line is not UTF-8, the
ANSI code page Excel's plain "CSV (noktalı virgülle ayrılmış)" writes on a Turkish
Windows."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
"""C0 controls but tab and line ends: no spreadsheet writes them, a binary file holds
them. (Windows-1254 maps no byte to a C1 control.)"""
MAX_IMPORT_ERRORS = 100
MAX_IMPORT_ROWS = 250_000
"""Rows one import may hold: the whole file goes in one transaction, which keeps the
store's write lock on SQLite for as long as it runs."""
MAX_LINE_BYTES = 64 * 1024
"""A product's row is well under a kilobyte; a longer line is a wrong file, not a product."""
READ_CHUNK = 64 * 1024
IMPORT_BATCH = 1000
"""Rows checked against the store and written together."""

Progress = Callable[[int, int], None]
"""Told (bytes read, bytes in the file) every so often; 0 bytes in the file: not known."""
Cancelled = Callable[[], bool]


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int
    ignored_columns: tuple[str, ...] = ()
    """Columns of the file the import does not read (a ``stock`` column, say): named so
    the manager knows they did not go in."""
    encoding: str = UTF_8
    """How the file was read: ``UTF_8`` (plain ASCII too) or ``WINDOWS_1254``."""


class ByteSource(Protocol):
    """What an import reads: an open binary file, or anything with its ``read``."""

    def read(self, size: int = -1, /) -> bytes: ...


@use_case
def import_products(
    uow: UnitOfWork,
    source: str | os.PathLike[str] | ByteSource,
    *,
    user_id: int | None = None,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    max_rows: int = MAX_IMPORT_ROWS,
) -> Result[ImportReport]:
    """Create or update products from a CSV file (UTF-8 or Windows-1254); all rows go
    in, or none do.

    A half-imported catalogue is worse than none: prices would disagree with the
    supplier's list and a second run would be needed anyway. So one bad row rejects
    the file, with an error for each bad row (up to ``MAX_IMPORT_ERRORS``), its line
    number and what is wrong. The file is read in bounded chunks, so a file that is
    not a product list (one endless line, another encoding, too many rows) is refused
    as soon as that shows, and checked and written ``IMPORT_BATCH`` rows at a time.
    """
    with _opened(source) as (raw, total, name), uow:
        refuse_unless_manager(uow.session, user_id)
        report = _Import(uow, raw, total, name, progress, cancelled, max_rows).run()
        audit(
            uow.session,
            at=uow.now(),
            user_id=user_id,
            action="product.import",
            entity="product",
            entity_id="*",
            created=report.created,
            updated=report.updated,
            ignored_columns=list(report.ignored_columns),
        )
        uow.commit()
    return Ok(report, Changed.CATALOGUE)


@use_case
def import_products_csv(
    uow: UnitOfWork, source: TextIO, *, user_id: int | None = None
) -> Result[ImportReport]:
    """``import_products`` for CSV text already in memory (the demo's own catalogue)."""
    return import_products(uow, _Encoded(source), user_id=user_id)


class _Encoded:
    """A text stream read as the UTF-8 bytes ``import_products`` reads."""

    def __init__(self, text: TextIO) -> None:
        self.text = text
        self.name = getattr(text, "name", "")

    def read(self, size: int = -1, /) -> bytes:
        # A lone surrogate passes as bytes that are not UTF-8, and is refused as such
        # (text in memory is never read as Windows-1254: see ``_Lines``).
        return self.text.read(size).encode("utf-8", "surrogatepass")


@contextmanager
def _opened(
    source: str | os.PathLike[str] | ByteSource,
) -> Iterator[tuple[ByteSource, int, str]]:
    """The file to read, its size in bytes (0 if not known) and its name for messages."""
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            file = path.open("rb")
            size = os.fstat(file.fileno()).st_size
        except (OSError, ValueError):  # ValueError: a NUL or a lone surrogate in the path
            raise Refused(Code.IMPORT_UNREADABLE, path=printable(str(path))) from None
        with file:
            yield file, size, str(path)
    else:
        yield source, _remaining(source), str(getattr(source, "name", ""))


def _remaining(stream: Any) -> int:
    try:
        return max(0, int(os.fstat(stream.fileno()).st_size) - int(stream.tell()))
    except (AttributeError, OSError, ValueError):
        pass
    try:
        if stream.seekable():
            here = stream.tell()
            end = stream.seek(0, os.SEEK_END)
            stream.seek(here)
            return max(0, int(end) - int(here))
    except (AttributeError, OSError, ValueError):
        pass
    return 0


class _Lines:
    """The file's lines as text, each checked for length and encoding as it is read.

    The file is read ``READ_CHUNK`` bytes at a time, so a line that never ends is
    refused once it passes ``MAX_LINE_BYTES``, not after it filled the memory.
    A NUL byte is refused as an encoding error: CSV text never holds one, UTF-16 does.

    The first line that is not plain ASCII decides the file's encoding: UTF-8 if it
    is UTF-8 (it almost never is by chance), else Windows-1254. The lines before it
    read the same in both; a later line that does not read in the file's encoding,
    or a Windows-1254 line holding control characters, is no text of this file.
    """

    def __init__(self, raw: ByteSource, name: str, cancelled: Cancelled) -> None:
        self.raw, self.name, self.cancelled = raw, name, cancelled
        self.line = 0
        self.done = 0
        """Bytes of the lines handed out so far."""
        self.encoding: str | None = UTF_8 if isinstance(raw, _Encoded) else None
        """Decided by the first line that is not plain ASCII (text in memory: UTF-8)."""

    def __iter__(self) -> Iterator[str]:
        carry = b""
        while True:
            if self.cancelled():
                raise Refused(Code.IMPORT_CANCELLED)
            chunk = self._read()
            if not chunk:
                break
            pieces = (carry + chunk).split(b"\n")
            carry = pieces.pop()
            for piece in pieces:
                yield self._text(piece + b"\n")
            if len(carry) > MAX_LINE_BYTES:
                self._too_long(self.line + 1)
        if carry:
            yield self._text(carry)

    def _read(self) -> bytes:
        try:
            return self.raw.read(READ_CHUNK) or b""
        except OSError:
            raise Refused(Code.IMPORT_UNREADABLE, path=self.name) from None

    def _text(self, raw: bytes) -> str:
        self.line += 1
        self.done += len(raw)
        if len(raw.rstrip(b"\r\n")) > MAX_LINE_BYTES:
            self._too_long(self.line)
        if b"\x00" in raw:
            self._unreadable()
        if self.encoding != WINDOWS_1254:
            try:
                text = raw.decode(UTF_8)
            except UnicodeDecodeError:
                if self.encoding == UTF_8:
                    self._unreadable()
                self.encoding = WINDOWS_1254
            else:
                if self.encoding is None and not raw.isascii():
                    self.encoding = UTF_8
                if self.line == 1 and text.startswith("\ufeff"):  # Excel's byte-order mark
                    text = text[1:]
                return text
        try:
            text = raw.decode(WINDOWS_1254)
        except UnicodeDecodeError:  # a byte the code page leaves undefined
            self._unreadable()
        if _CONTROL.search(text):
            self._unreadable()
        return text

    def _unreadable(self) -> NoReturn:
        raise Refused(Code.IMPORT_BAD_ENCODING, line=self.line)

    def _too_long(self, line: int) -> NoReturn:
        raise Refused(Code.IMPORT_LINE_TOO_LONG, line=line, limit=MAX_LINE_BYTES)


class _Import:
    """One import: the file's rows checked, then written a batch at a time."""

    def __init__(
        self,
        uow: UnitOfWork,
        raw: ByteSource,
        total: int,
        name: str,
        progress: Progress | None,
        cancelled: Cancelled | None,
        max_rows: int,
    ) -> None:
        self.uow = uow
        self.total = total
        self.progress = progress
        self.cancelled = cancelled or (lambda: False)
        self.max_rows = max_rows if is_id(max_rows) else MAX_IMPORT_ROWS
        self.lines = _Lines(raw, name, self.cancelled)
        self.errors: list[Err] = []
        self.created = self.updated = 0
        self.reported = -1
        self.digits: dict[str, int | None] = {}

    def run(self) -> ImportReport:
        lines = iter(self.lines)
        header = next(lines, "")
        self.delimiter = _delimiter(header)
        reader = csv.reader(itertools.chain([header], lines), delimiter=self.delimiter)
        columns = self._columns(self._record(reader) or [])
        width = len(columns)
        ignored = tuple(name for name in columns if name and name not in _ALL_COLUMNS)
        index = {name: columns.index(name) for name in _ALL_COLUMNS if name in columns}
        seen_skus: set[str] = set()
        seen_barcodes: set[str] = set()
        batch: list[tuple[int, ProductDraft]] = []
        rows = 0
        self._report()
        while len(self.errors) < MAX_IMPORT_ERRORS:
            cells = self._record(reader)
            if cells is None:
                break
            if not cells:
                continue  # a blank line
            rows += 1
            if rows > self.max_rows:
                raise Refused(Code.IMPORT_TOO_LARGE, limit=self.max_rows)
            line = reader.line_num
            draft = self._draft(cells, width, index)
            if isinstance(draft, Err):
                self.errors.append(_row_error(line, draft))
            elif draft.sku in seen_skus:
                self.errors.append(_row_error(line, Err(Code.DUPLICATE_SKU, {"sku": draft.sku})))
            elif draft.barcode is not None and draft.barcode in seen_barcodes:
                problem = Err(Code.DUPLICATE_BARCODE, {"barcode": draft.barcode})
                self.errors.append(_row_error(line, problem))
            else:
                seen_skus.add(draft.sku)
                if draft.barcode is not None:
                    seen_barcodes.add(draft.barcode)
                batch.append((line, draft))
            if len(batch) == IMPORT_BATCH:
                self._write(batch)
                batch = []
                self._report()
        self._write(batch)
        if self.errors:
            errors = sorted(self.errors, key=lambda error: int(str(error.params["line"])))
            errors = errors[:MAX_IMPORT_ERRORS]
            raise Refused(Code.IMPORT_REJECTED, tuple(errors), count=len(errors))
        self._report(finished=True)
        return ImportReport(self.created, self.updated, ignored, self.lines.encoding or UTF_8)

    def _record(self, reader: Any) -> list[str] | None:
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return None
        except csv.Error:
            # A quote left open runs on over the following lines until the csv
            # module's own field limit stops it: one record far too long.
            raise Refused(
                Code.IMPORT_LINE_TOO_LONG, line=self.lines.line, limit=MAX_LINE_BYTES
            ) from None
        return cells

    @staticmethod
    def _columns(header: list[str]) -> list[str]:
        columns = [name.strip().lower() for name in header]
        missing = [name for name in CSV_COLUMNS if name not in columns]
        if missing:
            raise Refused(Code.IMPORT_BAD_HEADER, missing=", ".join(missing))
        return columns

    def _draft(self, cells: list[str], width: int, index: dict[str, int]) -> ProductDraft | Err:
        if len(cells) > width:
            return Err(Code.IMPORT_EXTRA_CELLS)

        def cell(name: str) -> str:
            at = index.get(name)
            return cells[at] if at is not None and at < len(cells) else ""

        currency = cell("currency").strip().upper() or DEFAULT_CURRENCY
        digits = self._digits(currency)
        if digits is None:
            return Err(Code.INVALID_CURRENCY)
        price = parse_scaled(self._decimal(cell("price")), digits)
        if price is None or price > MAX_PRICE_MINOR:
            return Err(Code.INVALID_PRICE)
        tax_text = cell("tax_rate").strip().strip("%").strip()  # "%20" in Turkish, "20%"
        tax_rate = parse_tax_rate(tax_text) if tax_text else DEFAULT_TAX_RATE_BP
        if tax_rate is None:
            return Err(Code.INVALID_TAX_RATE)
        if tax_rate not in KDV_RATES_BP:
            rates = ", ".join(str(rate // 100) for rate in KDV_RATES_BP)
            return Err(Code.TAX_RATE_NOT_USED, {"rate": tax_text, "rates": rates})
        draft = ProductDraft(
            sku=cell("sku"),
            name=cell("name"),
            price_minor=price,
            barcode=cell("barcode") or None,
            tax_rate_bp=tax_rate,
            currency=currency,
            sale_unit=cell("unit").strip() or None,
        )
        return validate_draft(draft)

    def _decimal(self, text: str) -> str:
        """A number as written in this file: in a semicolon file (a comma-decimal
        spreadsheet's) ``1.234,50`` loses its thousands dots; elsewhere a dot is the
        decimal mark and is left for the parser."""
        text = text.strip()
        if self.delimiter == ";" and _THOUSANDS.fullmatch(text):
            return text.replace(".", "")
        return text

    def _digits(self, currency: str) -> int | None:
        """The currency's minor digits, None if it is none; asked of Babel once per file."""
        if currency not in self.digits:
            self.digits[currency] = minor_digits(currency) if is_currency(currency) else None
        return self.digits[currency]

    def _report(self, *, finished: bool = False) -> None:
        if self.cancelled():
            raise Refused(Code.IMPORT_CANCELLED)
        if self.progress is None:
            return
        done = self.lines.done
        total = self.total if self.total >= done else 0
        if finished:
            done = total = max(total, done)
        if done > self.reported:
            self.reported = done
            self.progress(done, total)

    def _write(self, batch: Sequence[tuple[int, ProductDraft]]) -> None:
        """Check a batch of rows against the store and write them, in the file's order.

        A barcode another product holds is refused, unless an earlier row of this
        file moved it off that product: the rows read as if written one by one.
        """
        if not batch:
            return
        connection, now = self.uow.connection, self.uow.now()
        existing = {
            row.sku: row
            for row in connection.execute(
                select(
                    products.c.id,
                    products.c.sku,
                    products.c.barcode,
                    products.c.name,
                    products.c.price_minor,
                    products.c.currency,
                    products.c.tax_rate_bp,
                    products.c.sale_unit,
                    (inventory.c.available + inventory.c.reserved).label("stock"),
                )
                .outerjoin(inventory, inventory.c.product_id == products.c.id)
                .where(products.c.sku.in_([draft.sku for _, draft in batch]))
            )
        }
        codes = [draft.barcode for _, draft in batch if draft.barcode is not None]
        holders: dict[str, int] = {}
        if codes:
            holders = {
                code: product_id
                for code, product_id in connection.execute(
                    select(products.c.barcode, products.c.id).where(products.c.barcode.in_(codes))
                )
            }
        freed: set[str] = set()
        new: list[ProductDraft] = []
        recoded: list[dict[str, object]] = []
        changed: list[dict[str, object]] = []
        renamed: list[tuple[int, str]] = []
        for line, draft in batch:
            current = existing.get(draft.sku)
            own_id = current.id if current is not None else None
            holder = holders.get(draft.barcode) if draft.barcode is not None else None
            if holder is not None and holder != own_id and draft.barcode not in freed:
                problem = Err(Code.DUPLICATE_BARCODE, {"barcode": draft.barcode})
                self.errors.append(_row_error(line, problem))
                continue
            if current is None:
                new.append(draft)
                continue
            unit = str(draft.sale_unit or current.sale_unit)
            if unit != current.sale_unit and current.stock:
                # Its stock counts pieces or grams: never read as the other.
                self.errors.append(_row_error(line, Err(Code.SALE_UNIT_CHANGE_WITH_STOCK)))
                continue
            self.updated += 1
            values = (draft.barcode, draft.name, draft.price_minor, draft.currency)
            if (*values, draft.tax_rate_bp, unit) == tuple(current[2:8]):
                continue  # the same as in the store: nothing to write
            row: dict[str, object] = {
                "id": current.id,
                "name": draft.name,
                "price_minor": draft.price_minor,
                "currency": draft.currency,
                "tax_rate_bp": draft.tax_rate_bp,
                "sale_unit": unit,
            }
            if current.barcode != draft.barcode:
                if current.barcode is not None:
                    freed.add(current.barcode)
                recoded.append({**row, "barcode": draft.barcode})
            else:
                changed.append(row)
            if current.name != draft.name:
                renamed.append((current.id, draft.name))
        if recoded:
            # One by one in the file's order: a barcode moved off one product may be
            # given to the next, and the UNIQUE index is checked at every row.
            connection.execute(
                update(products)
                .where(products.c.id == bindparam("b_id"))
                .values(
                    {name: bindparam(f"b_{name}") for name in recoded[0] if name != "id"}
                    | {"updated_at": now}
                ),
                [{f"b_{name}": value for name, value in row.items()} for row in recoded],
            )
        if changed:
            _update_rows(connection, products, changed, same={"updated_at": now})
        if renamed:
            connection.execute(
                delete(product_words).where(
                    product_words.c.product_id.in_([product_id for product_id, _ in renamed])
                )
            )
        if new:
            now_on_sale = {"active": True, "min_stock": 0, "created_at": now, "updated_at": now}
            made = _insert_rows(
                connection,
                products,
                [product_row(draft) for draft in new],
                same=now_on_sale,
                returning=(products.c.sku, products.c.id),
            )
            ids: dict[str, int] = {row.sku: row.id for row in made}
            created = [(ids[draft.sku], draft.name) for draft in new]
            stock = {"location_id": DEFAULT_LOCATION_ID, "available": 0, "reserved": 0}
            _insert_rows(
                connection,
                inventory,
                [{"product_id": product_id} for product_id, _ in created],
                same=stock,
            )
            self.created += len(created)
            renamed += created
        words = [
            {"word": word, "product_id": product_id}
            for product_id, name in renamed
            for word in search_words(name)
        ]
        if words:
            _insert_rows(connection, product_words, words)


def _insert_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    same: Mapping[str, object] | None = None,
    returning: tuple[ColumnElement[Any], ...] = (),
) -> list[Row[Any]]:
    """INSERT ``rows`` (each with the ``same`` values too); the ``returning`` columns of
    each row inserted, in no particular order."""
    same = same or {}
    if connection.dialect.name != "postgresql":
        # SQLite's driver runs an executemany in a C loop: nothing is faster there.
        statement = insert(table)
        if returning:
            statement = statement.returning(*returning)
        result = connection.execute(statement, [{**row, **same} for row in rows])
        return list(result) if returning else []
    source = _unnested(table, rows)
    names = list(rows[0])
    constants = [literal(value, table.c[name].type) for name, value in same.items()]
    statement = insert(table).from_select(
        [*names, *same], select(*(source.c[name] for name in names), *constants)
    )
    if returning:
        statement = statement.returning(*returning)
    result = connection.execute(statement)
    return list(result) if returning else []


def _update_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, object]],
    *,
    same: Mapping[str, object],
) -> None:
    """UPDATE the rows of ``table`` whose ``id`` each of ``rows`` names to its other values."""
    names = [name for name in rows[0] if name != "id"]
    if connection.dialect.name != "postgresql":
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({name: bindparam(f"b_{name}") for name in names} | dict(same)),
            [{f"b_{name}": value for name, value in row.items()} for row in rows],
        )
        return
    source = _unnested(table, rows)
    connection.execute(
        update(table)
        .where(table.c.id == source.c.id)
        .values({name: source.c[name] for name in names} | dict(same))
    )


def _unnested(table: Table, rows: Sequence[Mapping[str, object]]) -> Any:
    """PostgreSQL: ``rows`` as a table, each column sent as one array and unnested.

    One short statement per batch: a thousand-row VALUES list, or a pipelined
    statement per row, costs the driver several times what the server spends.
    """
    arrays = [
        bindparam(
            f"unnest_{name}",
            [row[name] for row in rows],
            type_=ARRAY(_element_type(table.c[name].type)),
            unique=True,
        )
        for name in rows[0]
    ]
    return func.unnest(*arrays).table_valued(*rows[0]).render_derived(name="source")


def _element_type(column_type: Any) -> Any:
    # Plain text arrays: a column's length or collation has no place in an array cast.
    return String() if isinstance(column_type, String) else column_type


_ALL_COLUMNS = (*CSV_COLUMNS, "barcode", "tax_rate", "currency", "unit")


def _delimiter(header: str) -> str:
    """The delimiter that splits the header into the required columns; a comma if none
    does (and the header is refused for what it lacks)."""
    for delimiter in DELIMITERS:
        names = {
            name.strip().lower() for name in next(csv.reader([header], delimiter=delimiter), [])
        }
        if names.issuperset(CSV_COLUMNS):
            return delimiter
    return ","


def _row_error(line: int, error: Err) -> Err:
    return Err(Code.IMPORT_BAD_ROW, {"line": line, "problem": error})
