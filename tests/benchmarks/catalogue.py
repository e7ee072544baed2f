"""Benchmark: finding products among a million, by barcode and by name, through the services.

Builds a SQLite store of ``--products`` (default 1,000,000) products with realistic, varied
Turkish and English grocery names, valid and unique EAN-13 barcodes and unique SKUs, stored
the way the catalogue service stores them (a ``products`` row, an ``inventory`` row and the
``product_words`` rows of the name-search index), but in bulk: executemany on a bare
``sqlite3`` connection in batches of 10,000, one transaction per 100,000 products. The build
runs in a child process, so the peak memory reported below is the measuring process's own.

With ``POS_TEST_DATABASE_URL`` set (and no ``--sqlite-only``), the same products go into a
kept PostgreSQL database on that server, ``kasa_bench_catalogue_<count>``: migrated first,
then loaded with COPY (a child process; about 5 minutes for a million), reused by later
runs and migrated to this Kasa's schema each time (a migration's backfill of a million
products is timed there).

Then, on each store, with a ``UnitOfWork`` on ``make_engine`` like the till's, it measures:

* ``find_product(uow, barcode)`` over random existing barcodes (``--lookups``, 2,000);
* ``search_products(uow, text)`` with the default limit over ``--searches`` (500) queries,
  a mix of a 2-5 letter prefix of one word (typed with or without the Turkish letters,
  "seker" for "Şeker"), one full word, and two words of the same product; and
  ``--rare-pairs`` (60) more of a common word (one product in a hundred has it) with a
  shorter word of the same product that at most one in a hundred of the common word's
  products also has ("paket ariel"), the common word leading;
* beside each search, a barcode lookup: the floor the searches are compared with.

It reports p50, p95, p99 and max (milliseconds; targets: lookup p95 < 2 ms, search p95 <
30 ms and max < 60 ms) per kind and in all, the searches against the floor's p50, the
load average before and after each store, the slowest searches, and on SQLite the peak
resident memory (``ru_maxrss``), the tracemalloc peak of a separate, untimed pass, the
build time and the database file size. ``--explain`` prints SQLite's query plans for the
statements the services ran.

Run::

    POS_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        .venv/bin/python tests/benchmarks/catalogue.py [--products 1000000] [--db PATH]
        [--sqlite-only] [--explain]

With ``--db PATH`` the SQLite store is kept and reused by later runs (it is built only when
PATH does not exist yet); without it, it lives in a temporary directory that is removed.
The searches are drawn from the SQLite store; the PostgreSQL one holds the same products.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError

try:
    import pos  # noqa: F401
except ModuleNotFoundError:  # a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
if str(Path(__file__).resolve().parents[2]) not in sys.path:  # for tests.benchmarks.harness
    sys.path.append(str(Path(__file__).resolve().parents[2]))

from pos.domain.catalogue import gtin_check_digit_ok, search_words
from pos.domain.results import Err
from pos.services.catalogue import SEARCH_LIMIT, find_product, search_products
from pos.store.engine import BUSY_TIMEOUT_MS, make_engine
from pos.store.migrate import upgrade
from pos.store.models import DEFAULT_LOCATION_ID
from pos.store.uow import UnitOfWork
from tests.benchmarks.harness import (
    percentile,
    postgres_server,
    summary_line,
    timed,
    timed_calls,
)

LOOKUP_P95_TARGET_MS = 2.0
SEARCH_P95_TARGET_MS = 30.0
SEARCH_MAX_TARGET_MS = 60.0
BATCH = 10_000
PRODUCTS_PER_TRANSACTION = 100_000
MB = 1024 * 1024

# ---------------------------------------------------------------------------------------
# A grocery catalogue, made up deterministically
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Category:
    brands: tuple[str, ...]
    items: tuple[str, ...]
    variants: tuple[str, ...]
    sizes: tuple[str, ...]
    price_range: tuple[int, int]
    """Kuruş (or cents)."""
    tax_rate_bp: int
    weight: int


def _t(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split("|"))


CATEGORIES: tuple[Category, ...] = (
    Category(
        brands=_t("Pınar|Sütaş|Torku|İçim|Tikveşli|Ak Gıda|Eker|Dost|Teksüt|Yörükoğlu|Danone|Arla"),
        items=_t(
            "Süt|Günlük Süt|Ayran|Yoğurt|Süzme Yoğurt|Kefir|Kaşar Peyniri|Beyaz Peynir|Tulum "
            "Peyniri|Lor Peyniri|Labne|Krem Peynir|Tereyağı|Kaymak|Krema|Milk|Whole Milk|"
            "Greek Yogurt|Cheddar|Butter|Cream Cheese|Sütlaç|Puding"
        ),
        variants=_t(
            "Tam Yağlı|Yarım Yağlı|Light|Laktozsuz|Sade|Çilekli|Kakaolu|Muzlu|Vanilyalı|"
            "Organik|Keçi|Koyun|Dilimli|Rendelenmiş|Low Fat|Lactose Free|Strawberry|Natural"
        ),
        sizes=_t("200 ml|500 ml|1 L|1,5 L|2 L|180 g|250 g|400 g|500 g|600 g|1 kg|2 kg|4x200 ml"),
        price_range=(1_250, 45_000),
        tax_rate_bp=100,
        weight=16,
    ),
    Category(
        brands=_t("Ülker|Eti|Torku|Tadelle|Milka|Nestlé|Kent|Şölen|Haribo|Lotus|Oreo|Kinder"),
        items=_t(
            "Gofret|Bisküvi|Kraker|Çikolata|Sütlü Çikolata|Bitter Çikolata|Kek|Lokum|Helva|"
            "Jelibon|Sakız|Şekerleme|Dondurma|Cookies|Wafer|Chocolate Bar|Biscuits|Crackers|"
            "Cake Bar|Gummy Bears|Kremalı Bisküvi|Petibör"
        ),
        variants=_t(
            "Çikolatalı|Fındıklı|Fıstıklı|Karamelli|Portakallı|Limonlu|Çilekli|Vişneli|Hindistan "
            "Cevizli|Bademli|Tuzlu|Kakaolu|Sütlü|Bitter|Hazelnut|Caramel|Double Chocolate|Mini|"
            "Maxi|Klasik|Gold|Extra"
        ),
        sizes=_t(
            "28 g|36 g|40 g|50 g|80 g|100 g|150 g|200 g|300 g|400 g|6'lı|12'li|24'lü|Multipack"
        ),
        price_range=(500, 12_000),
        tax_rate_bp=100,
        weight=16,
    ),
    Category(
        brands=_t(
            "Coca-Cola|Pepsi|Uludağ|Erikli|Hayat|Sırma|Beypazarı|Kızılay|Cappy|Dimes|Lipton|"
            "Red Bull"
        ),
        items=_t(
            "Su|Doğal Kaynak Suyu|Maden Suyu|Soda|Meyve Suyu|Nektar|Gazoz|Kola|Limonata|Soğuk Çay|"
            "Enerji İçeceği|Şalgam|Sparkling Water|Orange Juice|Apple Juice|Iced Tea|Energy Drink|"
            "Tonic|Ayran"
        ),
        variants=_t(
            "Şeker İlaveli|Şekersiz|Zero|Light|Portakal|Elma|Vişne|Şeftali|Kayısı|Karışık Meyve|"
            "Limon|Mango|Nar|Acılı|Sade|Original|Peach|Lemon|Mixed Fruit"
        ),
        sizes=_t("200 ml|250 ml|330 ml|500 ml|1 L|1,5 L|2,5 L|5 L|19 L|6x1,5 L|4x200 ml|24x200 ml"),
        price_range=(600, 18_000),
        tax_rate_bp=1000,
        weight=14,
    ),
    Category(
        brands=_t(
            "Tat|Tamek|Tukaş|Oncu|Burcu|Knorr|Bizim|Yayla|Reis|Duru|Filiz|Barilla|Ankara|Heinz"
        ),
        items=_t(
            "Domates Salçası|Biber Salçası|Ketçap|Mayonez|Hardal|Makarna|Spagetti|Burgu Makarna|"
            "Erişte|Pirinç|Baldo Pirinç|Bulgur|Kırmızı Mercimek|Yeşil Mercimek|Nohut|Kuru Fasulye|"
            "Un|Tel Şehriye|Çorba|Bezelye|Mısır|Turşu|Tomato Paste|Pasta|Penne|Rice|Chickpeas|"
            "Ketchup|Mayonnaise"
        ),
        variants=_t(
            "Acılı|Tatlı|Ekstra|Organik|Tam Buğday|Pilavlık|Köftelik|Glutensiz|Yöresel|Ev Usulü|"
            "Mercimek|Ezogelin|Tarhana|Domates|Classic|Whole Wheat|Spicy|Light"
        ),
        sizes=_t("200 g|330 g|500 g|650 g|700 g|830 g|1 kg|2 kg|2,5 kg|5 kg|10 kg|350 ml|4'lü"),
        price_range=(900, 35_000),
        tax_rate_bp=100,
        weight=16,
    ),
    Category(
        brands=_t(
            "Çaykur|Doğuş|Lipton|Ahmet Mustafa|Kurukahveci Mehmet Efendi|Nescafé|Jacobs|Tchibo|"
            "Lavazza|Tiryaki|Yudum|Komili|Kristal|Balparmak|Koska"
        ),
        items=_t(
            "Çay|Siyah Çay|Demlik Poşet Çay|Bitki Çayı|Türk Kahvesi|Filtre Kahve|Hazır Kahve|Kahve "
            "Kreması|Ayçiçek Yağı|Zeytinyağı|Sızma Zeytinyağı|Bal|Çiçek Balı|Tahin|Pekmez|Reçel|"
            "Toz Şeker|Küp Şeker|Tuz|Green Tea|Ground Coffee|Instant Coffee|Olive Oil|Honey|Jam"
        ),
        variants=_t(
            "Rize|Tirebolu|Earl Grey|Yeşil|Ihlamur|Adaçayı|Kuşburnu|Gold|Classic|3ü1 Arada|Orta "
            "Kavrulmuş|Sade|Naturel|Erken Hasat|Süzme|Kayısı|Çilek|Vişne|Ekstra|Espresso|Decaf|"
            "Premium"
        ),
        sizes=_t("100 g|200 g|250 g|500 g|1 kg|2 kg|3 kg|100'lü|25'li|48'li|1 L|2 L|5 L|850 g"),
        price_range=(2_000, 95_000),
        tax_rate_bp=100,
        weight=12,
    ),
    Category(
        brands=_t(
            "Banvit|Şenpiliç|Pınar|Namet|Polonez|Maret|Apikoğlu|Cumhuriyet|Kılıçoğlu|Gedik|Superfresh|Dardanel"
        ),
        items=_t(
            "Sucuk|Kangal Sucuk|Salam|Sosis|Pastırma|Kavurma|Tavuk But|Tavuk Göğsü|Bütün Tavuk|"
            "Kanat|Köfte|Hamburger Köftesi|Kıyma|Yumurta|Ton Balığı|Hazır Pizza|Patates|Milföy|"
            "Chicken Breast|Sausages|Tuna|Frozen Pizza|Fries"
        ),
        variants=_t(
            "Dana|Kuzu|Hindi|Piliç|Fırında|Dilimli|Acılı|Kasap|Izgara|Baharatlı|Organik|Gezen "
            "Tavuk|Dondurulmuş|Zeytinyağlı|Lezzet|Smoked|Grilled|Classic"
        ),
        sizes=_t("100 g|150 g|200 g|250 g|400 g|500 g|750 g|1 kg|2,5 kg|10'lu|15'li|30'lu|3x80 g"),
        price_range=(2_500, 120_000),
        tax_rate_bp=100,
        weight=10,
    ),
    Category(
        brands=_t(
            "Lay's|Ruffles|Doritos|Pringles|Çerezza|Patos|Tadım|Peyman|Cipso|Fiskobirlik|Harmandalı|Kent"
        ),
        items=_t(
            "Cips|Patates Cipsi|Mısır Cipsi|Kuruyemiş|Fındık|Antep Fıstığı|Yer Fıstığı|Badem|Ceviz|"
            "Kaju|Leblebi|Ay Çekirdeği|Kabak Çekirdeği|Karışık Kuruyemiş|Kuru Kayısı|Kuru İncir|"
            "Potato Chips|Tortilla Chips|Mixed Nuts|Almonds|Popcorn|Patlamış Mısır"
        ),
        variants=_t(
            "Klasik|Süper|Baharatlı|Acılı|Yoğurtlu|Peynirli|Ketçaplı|Barbekü|Tuzlu|Tuzsuz|Kavrulmuş|"
            "Çiğ|Jumbo|Aile Boyu|Parti Boy|Original|Sour Cream|Salt & Vinegar|Cheese|Paprika"
        ),
        sizes=_t("35 g|50 g|80 g|107 g|150 g|165 g|200 g|250 g|500 g|1 kg|Süper Boy|Parti Boy"),
        price_range=(750, 60_000),
        tax_rate_bp=100,
        weight=10,
    ),
    Category(
        brands=_t(
            "Fairy|Pril|Omo|Ariel|Persil|Bingo|Domestos|Cif|Vernel|Yumoş|Finish|Selpak|Familia|"
            "Solo|Papia|Colgate|Signal|Elidor|Dove|Nivea|Head & Shoulders|Duru|Hacı Şakir|"
            "Eyüp Sabri Tuncer"
        ),
        items=_t(
            "Bulaşık Deterjanı|Çamaşır Deterjanı|Sıvı Deterjan|Toz Deterjan|Yumuşatıcı|Çamaşır "
            "Suyu|Yüzey Temizleyici|Cam Sil|Tablet|Tuvalet Kağıdı|Kağıt Havlu|Peçete|Islak Mendil|"
            "Diş Macunu|Diş Fırçası|Şampuan|Saç Kremi|Duş Jeli|Sabun|Sıvı Sabun|Kolonya|Deodorant|"
            "Dish Soap|Laundry Detergent|Toilet Paper|Paper Towels|Toothpaste|Shampoo|Shower Gel|"
            "Hand Soap"
        ),
        variants=_t(
            "Limonlu|Lavanta|Bahar Ferahlığı|Dağ Esintisi|Hassas|Beyazlar İçin|Renkliler İçin|"
            "Bebek|Çift Katlı|3 Katlı|Extra|Platinum|Limon Kolonyası|Zeytinyağlı|Keratin|Kepeğe "
            "Karşı|Sensitive|Whitening|Fresh|Lemon|Lavender|Ultra"
        ),
        sizes=_t(
            "400 ml|500 ml|650 ml|750 ml|1 L|1,5 L|2,5 L|4 L|1,5 kg|4 kg|6 kg|8'li|12'li|16'lı|"
            "32'li|40'lı|100 Yaprak|75 ml|100 ml"
        ),
        price_range=(1_500, 85_000),
        tax_rate_bp=2000,
        weight=14,
    ),
    Category(
        brands=_t("Uno|Untad|Vakfıkebir|Simit Sarayı|Dr. Oetker|Harry's|Bifa|Eti|Ülker|Bakeland"),
        items=_t(
            "Ekmek|Tam Buğday Ekmeği|Kepekli Ekmek|Tost Ekmeği|Lavaş|Tortilla|Bazlama|Pide|Simit|"
            "Galeta|Grissini|Kruvasan|Poğaça|Kabartma Tozu|Vanilin|Maya|Bread|Toast Bread|"
            "Croissant|Wraps|Baking Powder"
        ),
        variants=_t(
            "Tam Buğday|Çavdarlı|Kepekli|Sade|Susamlı|Köy|Ekşi Mayalı|Glutensiz|Çok Tahıllı|"
            "Mini|Büyük|Multigrain|Sourdough|Whole Wheat|Classic"
        ),
        sizes=_t("200 g|250 g|300 g|350 g|400 g|500 g|700 g|1 kg|6'lı|8'li|10'lu|5x10 g"),
        price_range=(500, 15_000),
        tax_rate_bp=100,
        weight=8,
    ),
)
CATEGORY_WEIGHTS = tuple(category.weight for category in CATEGORIES)
GS1_PREFIXES = ("869",) * 6 + ("400", "401", "500", "540", "590", "800", "868")
BARCODE_MULTIPLIER = 387_420_489
"""3**18: coprime with 10**9, so ``i -> i * M + C mod 10**9`` gives every product its own code."""
BARCODE_OFFSET = 128_736_451


def ean13(first_twelve: str) -> str:
    """``first_twelve`` and its GS1 check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(first_twelve)))
    return first_twelve + str((10 - total % 10) % 10)


def sku_prefix(brand: str) -> str:
    letters = "".join(search_words(brand)).upper()
    return (letters + "XXX")[:3]


@dataclass(frozen=True)
class ProductRow:
    id: int
    sku: str
    barcode: str
    name: str
    price_minor: int
    tax_rate_bp: int
    active: bool


def make_products(count: int, seed: int) -> Iterator[ProductRow]:
    """``count`` products, always the same ones for the same seed."""
    rng = random.Random(seed)
    for product_id in range(1, count + 1):
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        brand = rng.choice(category.brands)
        parts = [brand, rng.choice(category.items)]
        roll = rng.random()
        if roll < 0.55:
            parts.append(rng.choice(category.variants))
        elif roll < 0.70:
            parts.extend(rng.sample(category.variants, 2))
        parts.append(rng.choice(category.sizes))
        if rng.random() < 0.04:
            parts.append(rng.choice(("Kampanya", "Avantaj Paket", "Eko Paket", "Promo", "XL")))
        item_reference = (product_id * BARCODE_MULTIPLIER + BARCODE_OFFSET) % 10**9
        body = f"{rng.choice(GS1_PREFIXES)}{item_reference:09d}"
        low, high = category.price_range
        yield ProductRow(
            id=product_id,
            sku=f"{sku_prefix(brand)}-{product_id:07d}",
            barcode=ean13(body),
            name=" ".join(parts),
            price_minor=rng.randrange(low, high, 5),
            tax_rate_bp=category.tax_rate_bp,
            active=rng.random() >= 0.01,
        )


# ---------------------------------------------------------------------------------------
# Building the store (in a child process)
# ---------------------------------------------------------------------------------------


def copy_products(cursor: Any, count: int, seed: int) -> None:
    """``make_products(count, seed)`` into PostgreSQL's ``products`` by COPY, on a psycopg
    cursor (the stock and word rows are each benchmark's own)."""
    created = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    with cursor.copy(
        "COPY products (id, sku, barcode, name, price_minor, currency, tax_rate_bp,"
        " active, min_stock, created_at, updated_at) FROM STDIN"
    ) as copy:
        for row in make_products(count, seed):
            copy.write_row(
                (
                    row.id,
                    row.sku,
                    row.barcode,
                    row.name,
                    row.price_minor,
                    "TRY",
                    row.tax_rate_bp,
                    row.active,
                    0,
                    created,
                    created,
                )
            )


def sqlite_timestamp(at: datetime) -> str:
    """How the store's UTCDateTime columns keep an instant on SQLite."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def build(path: Path, count: int, seed: int) -> None:
    """Create the schema with the migrations, then fill it in bulk."""
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()

    connection = sqlite3.connect(path, isolation_level=None)
    cursor = connection.cursor()
    # synchronous=OFF and a large page cache speed up the one-off load; the till's own
    # connections (make_engine) use WAL with synchronous=NORMAL.
    for pragma in (
        "PRAGMA journal_mode=WAL",
        "PRAGMA synchronous=OFF",
        "PRAGMA foreign_keys=ON",
        f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        "PRAGMA cache_size=-1048576",
        "PRAGMA temp_store=MEMORY",
    ):
        cursor.execute(pragma)
    created = sqlite_timestamp(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    started = time.perf_counter()
    products: list[tuple[object, ...]] = []
    inventory: list[tuple[int, int, int, int]] = []
    words: list[tuple[str, int]] = []
    word_rows = 0

    def flush() -> None:
        cursor.executemany(
            "INSERT INTO products (id, sku, barcode, name, price_minor, currency, tax_rate_bp,"
            " active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'TRY', ?, ?, ?, ?)",
            products,
        )
        cursor.executemany(
            "INSERT INTO inventory (location_id, product_id, available, reserved)"
            " VALUES (?, ?, ?, ?)",
            inventory,
        )
        cursor.executemany("INSERT INTO product_words (word, product_id) VALUES (?, ?)", words)
        products.clear()
        inventory.clear()
        words.clear()

    cursor.execute("BEGIN IMMEDIATE")
    for row in make_products(count, seed):
        if row.id % 97 == 0 and not gtin_check_digit_ok(row.barcode):
            raise SystemExit(f"bad EAN-13 check digit: {row.barcode}")
        products.append(
            (
                row.id,
                row.sku,
                row.barcode,
                row.name,
                row.price_minor,
                row.tax_rate_bp,
                int(row.active),
                created,
                created,
            )
        )
        inventory.append((DEFAULT_LOCATION_ID, row.id, 0, 0))
        row_words = search_words(row.name)
        words.extend((word, row.id) for word in row_words)
        word_rows += len(row_words)
        if len(products) == BATCH:
            flush()
        if row.id % PRODUCTS_PER_TRANSACTION == 0:
            flush()
            cursor.execute("COMMIT")
            elapsed = time.perf_counter() - started
            print(f"  {row.id:>9,} products  {elapsed:6.1f} s", flush=True)
            cursor.execute("BEGIN IMMEDIATE")
    flush()
    # One audit entry for the whole load, as import_products_csv writes for an import.
    cursor.execute(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, details)"
        " VALUES (?, NULL, 'product.import', 'product', '*', ?)",
        (created, json.dumps({"created": count, "updated": 0}, sort_keys=True)),
    )
    cursor.execute("COMMIT")
    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    print(f"  {count:,} products, {count:,} inventory rows, {word_rows:,} product_words rows")


PG_DATABASE = "kasa_bench_catalogue_{count}"
"""The kept PostgreSQL store of ``count`` products, reused by later runs."""


def postgres_url(server: str, count: int) -> URL:
    url = make_url(server)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.set(database=PG_DATABASE.format(count=count))


def build_postgres(server: str, count: int, seed: int) -> None:
    """The same products in a kept PostgreSQL database, migrated first, then loaded
    with COPY (the triggers the migrations made keep their indexes as they would for
    an import)."""
    url = postgres_url(server, count)
    admin = create_engine(url.set(database=make_url(server).database), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": url.database}
        ).first()
        if found is None:
            connection.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    admin.dispose()
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    loader = create_engine(url)
    started = time.perf_counter()
    with loader.connect() as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        driver = connection.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor:
            copy_products(cursor, count, seed)
            print(f"  products copied  {time.perf_counter() - started:6.1f} s", flush=True)
            with cursor.copy(
                "COPY inventory (location_id, product_id, available, reserved) FROM STDIN"
            ) as copy:
                for product_id in range(1, count + 1):
                    copy.write_row((DEFAULT_LOCATION_ID, product_id, 0, 0))
            with cursor.copy("COPY product_words (word, product_id) FROM STDIN") as copy:
                for row in make_products(count, seed):
                    for word in search_words(row.name):
                        copy.write_row((word, row.id))
            print(f"  words copied     {time.perf_counter() - started:6.1f} s", flush=True)
            cursor.execute("SELECT setval('products_id_seq', %s)", (count,))
        connection.commit()
    loader.dispose()
    vacuum = create_engine(url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as connection:
        connection.exec_driver_sql("SET statement_timeout = 0")
        connection.exec_driver_sql("VACUUM ANALYZE")
    vacuum.dispose()
    print(f"  {count:,} products loaded in {time.perf_counter() - started:.1f} s")


def postgres_has_products(server: str, count: int) -> bool:
    url = postgres_url(server, count)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SELECT count(*) FROM products").scalar() == count
    except DBAPIError:  # no such database yet, or no such table
        return False
    finally:
        engine.dispose()


def build_in_child(path: Path, count: int, seed: int) -> tuple[float, float]:
    """Build in a fresh interpreter; its wall time (s) and its peak resident memory (MB)."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--build-only",
            *("--db", str(path), "--products", str(count), "--seed", str(seed)),
        ],
        check=True,
    )
    elapsed = time.perf_counter() - started
    return elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


# ---------------------------------------------------------------------------------------
# What the cashier types
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    kind: str
    text: str


QUERY_KINDS = ("prefix", "word", "two words")
RARE_PAIR = "common + rare"
"""A common word and another of the same product's that few products have with it
("kasar xl"): the common word leads, so a walk of its products finds few hits."""
MEASURED_KINDS = (*QUERY_KINDS, RARE_PAIR)
COMMON_SHARE = 0.01
"""A word at least this share of the products have is common (10,000 of a million)."""
RARE_PAIR_SHARE = 0.01
"""A pair is rare when at most this share of the common word's products have both."""


def typeable_words(name: str) -> list[str]:
    """Words of ``name`` a cashier would type: letters only, at least three of them."""
    found = []
    for token in name.split():
        folded = search_words(token)
        if len(folded) == 1 and folded[0].isalpha() and len(folded[0]) >= 3:
            found.append(token)
    return found


def typed(token: str, rng: random.Random, *, prefix: bool, shortest: int = 2) -> str:
    """The token as typed: as printed, or without the Turkish letters; whole or its start."""
    form = search_words(token)[0] if rng.random() < 0.5 else token
    if prefix:
        form = form[: rng.randint(shortest, min(5, len(form)))]
    return form


def make_query(kind: str, name: str, rng: random.Random) -> Query | None:
    tokens = typeable_words(name)
    if kind == "prefix" and tokens:
        return Query(kind, typed(rng.choice(tokens), rng, prefix=True))
    if kind == "word" and tokens:
        return Query(kind, typed(rng.choice(tokens), rng, prefix=False))
    if kind == "two words" and len(tokens) >= 2:
        first, second = rng.sample(tokens, 2)
        parts = [
            typed(token, rng, prefix=rng.random() < 0.5, shortest=3) for token in (first, second)
        ]
        text = " ".join(parts)
        # Two different words once folded ("Süt süt" or "sut sutas" -> "sut sut" are not).
        return Query(kind, text) if len(search_words(text)) == 2 else None
    return None


@dataclass(frozen=True)
class Workload:
    products: int
    barcodes: list[str]
    queries: list[Query]
    warm_barcodes: list[str]
    warm_queries: list[Query]


def sample_workload(
    path: Path, lookups: int, searches: int, seed: int, rare_pairs_wanted: int = 60
) -> Workload:
    """Random existing, active products from the store, and queries made from their names."""
    rng = random.Random(seed + 1)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        (count,) = connection.execute("SELECT count(*) FROM products").fetchone()
        (top,) = connection.execute("SELECT max(id) FROM products").fetchone()
        wanted = min(top, int((lookups + searches + 400) * 1.2))
        rows: list[tuple[str, str]] = []
        ids = rng.sample(range(1, top + 1), wanted)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found = {
                product_id: (barcode, name)
                for product_id, barcode, name in connection.execute(
                    f"SELECT id, barcode, name FROM products WHERE id IN ({marks})"
                    " AND active = 1 AND barcode IS NOT NULL",
                    chunk,
                )
            }
            rows.extend(found[i] for i in chunk if i in found)
    finally:
        connection.close()
    barcodes = [barcode for barcode, _ in rows]
    names = [name for _, name in rows]
    queries: list[Query] = []
    for index, name in enumerate(names):
        query = make_query(QUERY_KINDS[len(queries) % len(QUERY_KINDS)], name, rng)
        if query is not None:
            queries.append(query)
        if len(queries) == searches + 60 or index == len(names) - 1:
            break
    rare = rare_pairs(path, names, count, rare_pairs_wanted, rng)
    measured = queries[:searches]
    # Spread among the others, in the order drawn.
    for index, query in enumerate(rare):
        measured.insert(index * (len(measured) // max(1, len(rare))) + index, query)
    return Workload(
        products=count,
        barcodes=barcodes[:lookups],
        queries=measured,
        warm_barcodes=barcodes[lookups : lookups + 200],
        warm_queries=queries[searches:],
    )


def rare_pairs(
    path: Path, names: list[str], count: int, wanted: int, rng: random.Random
) -> list[Query]:
    """Queries of a common word of a product's name and a shorter one of its words that
    few of the common word's products have with it, both typed whole."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    found: list[Query] = []
    try:
        frequency = dict(
            connection.execute("SELECT word, count(*) FROM product_words GROUP BY word")
        )
        for name in reversed(names):  # the others' queries come from the front
            tokens = typeable_words(name)
            folded = {token: search_words(token)[0] for token in tokens}
            common = [t for t in tokens if frequency.get(folded[t], 0) >= COMMON_SHARE * count]
            if not common:
                continue
            lead = max(common, key=lambda token: frequency[folded[token]])
            for other in tokens:
                if folded[other] == folded[lead] or len(folded[other]) > len(folded[lead]):
                    continue
                (together,) = connection.execute(
                    "SELECT count(*) FROM product_words AS a JOIN product_words AS b"
                    " ON b.product_id = a.product_id AND b.word = ? WHERE a.word = ?",
                    (folded[other], folded[lead]),
                ).fetchone()
                if together <= RARE_PAIR_SHARE * frequency[folded[lead]]:
                    parts = [typed(token, rng, prefix=False) for token in (lead, other)]
                    found.append(Query(RARE_PAIR, " ".join(parts)))
                    break
            if len(found) == wanted:
                break
    finally:
        connection.close()
    return found


# ---------------------------------------------------------------------------------------
# Measuring through the services
# ---------------------------------------------------------------------------------------


def lookup(uow: UnitOfWork, barcode: str) -> None:
    result = find_product(uow, barcode)
    if isinstance(result, Err) or result.value.barcode != barcode:
        raise SystemExit(f"find_product({barcode!r}) -> {result!r}")


def search(uow: UnitOfWork, query: Query) -> int:
    result = search_products(uow, query.text)
    if isinstance(result, Err):
        raise SystemExit(f"search_products({query.text!r}) -> {result!r}")
    return len(result.value)


@dataclass(frozen=True)
class Measured:
    lookup_ms: list[float]
    search_log: list[tuple[float, Query, int]]
    """(milliseconds, query, products found) per search, in the order run."""
    floor_ms: list[float]
    """A barcode lookup timed just before each search."""

    @property
    def search_ms(self) -> dict[str, list[float]]:
        by_kind: dict[str, list[float]] = {kind: [] for kind in MEASURED_KINDS}
        for ms, query, _found in self.search_log:
            by_kind[query.kind].append(ms)
        return by_kind

    @property
    def hits(self) -> list[int]:
        return [found for _ms, _query, found in self.search_log]

    @property
    def empty_searches(self) -> int:
        return sum(1 for found in self.hits if found == 0)

    @property
    def all_search_ms(self) -> list[float]:
        return [ms for times in self.search_ms.values() for ms in times]


def measure(uow: UnitOfWork, workload: Workload) -> Measured:
    """Every barcode lookup, then each search with a lookup just before it: those are
    the searches' floor, timed beside them (``Measured.floor_ms``)."""
    for barcode in workload.warm_barcodes:
        lookup(uow, barcode)
    for query in workload.warm_queries:
        search(uow, query)

    lookup_ms = timed_calls(
        [functools.partial(lookup, uow, barcode) for barcode in workload.barcodes], unit=1e-3
    )
    search_log: list[tuple[float, Query, int]] = []
    floor_ms: list[float] = []
    for index, query in enumerate(workload.queries):
        found: list[int] = []

        def one_search(query: Query = query, found: list[int] = found) -> None:
            found.append(search(uow, query))

        barcode = workload.barcodes[index % len(workload.barcodes)]
        timed(functools.partial(lookup, uow, barcode), 1, floor_ms, unit=1e-3)
        (ms,) = timed(one_search, 1, unit=1e-3)
        search_log.append((ms, query, found[0]))
    return Measured(lookup_ms, search_log, floor_ms)


def traced_peak_mb(uow: UnitOfWork, workload: Workload) -> float:
    """tracemalloc's peak over an untimed pass (tracing slows every allocation)."""
    tracemalloc.start()
    try:
        for barcode in workload.barcodes[:300]:
            lookup(uow, barcode)
        for query in workload.queries[:150]:
            search(uow, query)
        return tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def explain(engine: Engine, path: Path, uow: UnitOfWork, workload: Workload) -> None:
    """SQLite's plan for each statement the services ran for one call of each kind."""
    captured: list[tuple[str, str, tuple[Any, ...]]] = []
    label = ""

    def on_execute(
        _conn: Any, _cursor: Any, statement: str, params: Any, _context: Any, _many: bool
    ) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            captured.append((label, statement, tuple(params)))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        label = f"find_product({workload.barcodes[0]!r})"
        lookup(uow, workload.barcodes[0])
        for kind in MEASURED_KINDS:
            query = next(q for q in workload.queries if q.kind == kind)
            label = f"search_products({query.text!r})"
            search(uow, query)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        for what, statement, params in captured:
            print(f"  {what}:\n    {' '.join(statement.split())}\n    params {params}")
            depth: dict[int, int] = {0: 0}
            for node, parent, _unused, detail in connection.execute(
                "EXPLAIN QUERY PLAN " + statement, params
            ):
                depth[node] = depth.get(parent, 0) + 1
                print("    " + "  " * depth[node] + detail)
    finally:
        connection.close()


def table_sizes(path: Path) -> list[tuple[str, float]]:
    """Megabytes per table and index (SQLite's dbstat), largest first; empty if unavailable."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = connection.execute(
            "SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC"
        ).fetchall()
    except sqlite3.Error:
        return []
    finally:
        connection.close()
    return [(name, size / MB) for name, size in rows]


def store_size_mb(path: Path) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / MB


def has_products(path: Path) -> bool:
    if not path.exists():
        return False
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return connection.execute("SELECT 1 FROM products LIMIT 1").fetchone() is not None
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def postgres_store(server: str, count: int, seed: int) -> URL:
    """The kept PostgreSQL store of ``count`` products (built in a child process the
    first time), migrated to this Kasa's schema: a store built before a migration
    gets it here, on a million products, timed."""
    url = postgres_url(server, count)
    if postgres_has_products(server, count):
        print(f"postgresql: reusing {url.database}")
    else:
        print(f"postgresql: loading {count:,} products into {url.database} with COPY")
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--build-only",
                *("--build-postgres", server, "--products", str(count), "--seed", str(seed)),
            ],
            check=True,
        )
        print(f"  loaded in {time.perf_counter() - started:.0f} s")
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        upgrade(engine)
        print(f"  migrated to head in {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()
    return url


def report(dialect: str, measured: Measured) -> str:
    """Print one store's figures; its part of the summary line."""

    def line(label: str, values: Sequence[float], target: float | None = None) -> None:
        verdict = ""
        if target is not None:
            verdict = "ok" if percentile(values, 0.95) < target else f"MISSED (target {target:g})"
        print(
            f"  {label:<22} p50 {percentile(values, 0.5):7.2f}  p95 "
            f"{percentile(values, 0.95):7.2f}  p99 {percentile(values, 0.99):7.2f}  "
            f"max {max(values):7.2f} ms  (n={len(values)})  {verdict}"
        )

    searches = measured.all_search_ms
    floor = statistics.median(measured.floor_ms)
    print(f"{dialect}: milliseconds per service call, UnitOfWork included")
    line("find_product", measured.lookup_ms, LOOKUP_P95_TARGET_MS)
    line("floor (lookup beside)", measured.floor_ms)
    line("search_products", searches, SEARCH_P95_TARGET_MS)
    for kind, values in measured.search_ms.items():
        if values:
            line(f"  {kind}", values)
    over = max(searches)
    print(
        f"  search max {over:.1f} ms: {'ok' if over < SEARCH_MAX_TARGET_MS else 'MISSED'}"
        f" (target {SEARCH_MAX_TARGET_MS:g}); search p50 / p95 against the floor's p50:"
        f" {percentile(searches, 0.5) / floor:.1f}x / {percentile(searches, 0.95) / floor:.1f}x"
    )
    print(
        f"  searches with no hit: {measured.empty_searches}/{len(measured.hits)}; "
        f"median hits {statistics.median(measured.hits):.0f}"
    )
    print("  slowest searches:")
    for ms, query, found in sorted(measured.search_log, key=lambda entry: -entry[0])[:5]:
        print(f"    {ms:7.2f} ms  {query.kind:<13}  {query.text!r}  ({found} hits)")
    return (
        f"{dialect} lookup p95 {percentile(measured.lookup_ms, 0.95):.2f} ms,"
        f" search p95 {percentile(searches, 0.95):.1f} ms, max {over:.1f} ms"
    )


def run(args: argparse.Namespace, path: Path) -> int:
    build_s: float | None = None
    if has_products(path):
        print(f"reusing {path}")
    else:
        print(f"building {args.products:,} products in {path}")
        build_s, build_peak_mb = build_in_child(path, args.products, args.seed)
        print(f"  build time {build_s:.1f} s, build process peak RSS {build_peak_mb:.0f} MB")
    print(f"  database file {store_size_mb(path):.0f} MB")
    for name, size in table_sizes(path)[:8]:
        print(f"    {name:<36} {size:8.1f} MB")
    stores: list[tuple[str, str | URL]] = [("sqlite", f"sqlite:///{path}")]
    server = postgres_server(args.sqlite_only)
    if server:
        stores.append(("postgresql", postgres_store(server, args.products, args.seed)))

    workload = sample_workload(path, args.lookups, args.searches, args.seed, args.rare_pairs)
    print(
        f"measuring on {workload.products:,} products: {len(workload.barcodes)} barcode "
        f"lookups, {len(workload.queries)} name searches (limit {SEARCH_LIMIT}); "
        f"load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}"
    )
    parts = []
    for dialect, url in stores:
        engine = make_engine(url)
        try:
            uow = UnitOfWork(engine)
            measured = measure(uow, workload)
            parts.append(report(dialect, measured))
            if dialect == "sqlite":
                traced_mb = traced_peak_mb(uow, workload)
                peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                print(
                    f"  peak RSS (ru_maxrss) {peak_mb:.0f} MB; tracemalloc peak {traced_mb:.1f} MB"
                )
                if args.explain:
                    print("query plans:")
                    explain(engine, path, uow, workload)
        finally:
            engine.dispose()
        print(f"  load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    built = f"{build_s:.0f} s" if build_s is not None else "reused"
    print(f"sqlite build {built}; database {store_size_mb(path):.0f} MB")
    print(summary_line("catalogue", parts))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--products", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="store to build and keep, or to reuse")
    parser.add_argument("--lookups", type=int, default=2_000)
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rare-pairs", type=int, default=60, help="common + rare searches")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    parser.add_argument("--explain", action="store_true", help="print SQLite's query plans")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--build-postgres", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.products < 1:
        parser.error("--products must be positive")

    if args.build_only:
        if args.build_postgres:
            build_postgres(args.build_postgres, args.products, args.seed)
        else:
            build(args.db, args.products, args.seed)
        return 0
    if args.db is not None:
        return run(args, args.db.expanduser().resolve())
    with tempfile.TemporaryDirectory(prefix="kasa-catalogue-") as directory:
        return run(args, Path(directory) / "catalogue.db")


if __name__ == "__main__":
    sys.exit(main())
