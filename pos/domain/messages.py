"""The one message catalogue: every result code in Turkish and English.

The seed specification's Turkish texts appear here exactly as it writes them.
Placeholders use ``str.format`` names that match the result's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping

from babel.numbers import format_decimal

from pos.domain.results import Code, Err, Warn

LOCALES = ("tr", "en")
DEFAULT_LOCALE = "tr"

MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.INVALID_QUANTITY: {
        "tr": "Geçersiz adet",
        "en": "Invalid quantity",
    },
    Code.PRODUCT_UNAVAILABLE: {
        "tr": "Ürün mevcut değil",
        "en": "Product not available",
    },
    Code.INSUFFICIENT_STOCK: {
        "tr": "Yeterli stok yok - mevcut: {available}",
        "en": "Not enough stock - available: {available}",
    },
    Code.ADDED_UNVERIFIED: {
        "tr": "Sepete eklendi, ancak stok hemen doğrulanamadı",
        "en": "Added to the cart, but the stock could not be verified right now",
    },
    Code.CART_NOT_FOUND: {
        "tr": "Sepet bulunamadı",
        "en": "Cart not found",
    },
    Code.CART_NOT_OPEN: {
        "tr": "Sepet değiştirilemez: ödeme sürüyor veya satış kapandı",
        "en": "The cart cannot be changed: a payment is in progress or the sale is closed",
    },
    Code.LINE_NOT_FOUND: {
        "tr": "Bu ürün sepette yok",
        "en": "This product is not in the cart",
    },
    Code.CURRENCY_MISMATCH: {
        "tr": "Ürünün para birimi ({product_currency}) sepetle ({cart_currency}) aynı değil",
        "en": "The product's currency ({product_currency}) differs from the cart's"
        " ({cart_currency})",
    },
    Code.INVALID_SKU: {
        "tr": "Geçersiz stok kodu: harf, rakam, '.', '_' veya '-' ile en fazla 64 karakter",
        "en": "Invalid SKU: up to 64 letters, digits, '.', '_' or '-'",
    },
    Code.INVALID_BARCODE: {
        "tr": "Geçersiz barkod",
        "en": "Invalid barcode",
    },
    Code.INVALID_NAME: {
        "tr": "Geçersiz ürün adı: 1-200 karakter, kontrol karakteri olmadan",
        "en": "Invalid product name: 1-200 characters, no control characters",
    },
    Code.INVALID_PRICE: {
        "tr": "Geçersiz fiyat",
        "en": "Invalid price",
    },
    Code.INVALID_TAX_RATE: {
        "tr": "Geçersiz KDV oranı",
        "en": "Invalid tax rate",
    },
    Code.INVALID_CURRENCY: {
        "tr": "Geçersiz para birimi",
        "en": "Invalid currency",
    },
    Code.DUPLICATE_SKU: {
        "tr": "Bu stok kodu başka bir üründe kayıtlı: {sku}",
        "en": "Another product already has this SKU: {sku}",
    },
    Code.DUPLICATE_BARCODE: {
        "tr": "Bu barkod başka bir üründe kayıtlı: {barcode}",
        "en": "Another product already has this barcode: {barcode}",
    },
    Code.INVALID_REASON: {
        "tr": "Stok düzeltmesi için bir açıklama gerekli",
        "en": "A stock adjustment needs a reason",
    },
    Code.USER_NOT_FOUND: {
        "tr": "Kullanıcı bulunamadı",
        "en": "User not found",
    },
    Code.NOT_PERMITTED: {
        "tr": "Bu işlem için yetkiniz yok",
        "en": "You are not allowed to do this",
    },
    Code.ADJUSTMENT_BELOW_ZERO: {
        "tr": "Düzeltme stoku sıfırın altına düşürür - mevcut: {available}",
        "en": "The adjustment would take stock below zero - available: {available}",
    },
    Code.IMPORT_REJECTED: {
        "tr": "İçe aktarma yapılmadı: {count} satır hatalı",
        "en": "Nothing was imported: {count} rows have errors",
    },
    Code.IMPORT_BAD_ROW: {
        "tr": "Satır {line}: {problem}",
        "en": "Line {line}: {problem}",
    },
    Code.IMPORT_BAD_HEADER: {
        "tr": "CSV başlığı eksik sütunlar içeriyor: {missing}",
        "en": "The CSV header lacks columns: {missing}",
    },
    Code.IMPORT_EXTRA_CELLS: {
        "tr": "Satırda başlıktaki sütunlardan fazla hücre var",
        "en": "The row has more cells than the header has columns",
    },
    Code.INVALID_USERNAME: {
        "tr": "Geçersiz kullanıcı adı",
        "en": "Invalid user name",
    },
    Code.INVALID_PIN: {
        "tr": "PIN 4-8 rakam olmalı",
        "en": "The PIN must be 4-8 digits",
    },
    Code.DUPLICATE_USERNAME: {
        "tr": "Bu kullanıcı adı kullanılıyor: {username}",
        "en": "This user name is taken: {username}",
    },
}


def _param_text(value: object, locale: str) -> str:
    if isinstance(value, Err):
        return render(value, locale)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    return str(value)


def render(message: Err | Warn[object], locale: str = DEFAULT_LOCALE) -> str:
    """The text of a result's message in ``locale`` (Turkish unless told otherwise)."""
    texts = MESSAGES[message.code]
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    params = {name: _param_text(value, locale) for name, value in message.params.items()}
    return template.format(**params)
