"""The texts of line discounts (a percentage or an amount off one line, with a reason),
merged into the catalogue (``pos.domain.messages``) so it stays one place the window reads."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

DISCOUNT_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.DISCOUNT_KIND_UNKNOWN: {
        "tr": "İndirim türü geçersiz: yüzde ya da tutar seçin",
        "en": "Invalid kind of discount: choose a percentage or an amount",
    },
    Code.DISCOUNT_NOT_POSITIVE: {
        "tr": "İndirim sıfırdan büyük olmalı",
        "en": "A discount must be more than zero",
    },
    Code.DISCOUNT_OVER_100: {
        "tr": "İndirim %100'den fazla olamaz",
        "en": "A discount cannot be more than 100 %",
    },
    Code.DISCOUNT_OVER_LINE: {
        "tr": "İndirim satırın tutarından fazla olamaz - satır tutarı: {line}",
        "en": "A discount cannot be more than the line - the line comes to: {line}",
    },
    Code.DISCOUNT_FRACTIONAL: {
        "tr": "İndirim tam kuruş olmalı (yüzde ise en çok iki ondalık)",
        "en": "A discount must be in whole kuruş (a percentage: two decimals at most)",
    },
    Code.DISCOUNT_NEEDS_REASON: {
        "tr": "İndirim için bir neden seçin ya da yazın",
        "en": "A discount needs a reason: choose or type one",
    },
    Code.DISCOUNT_REASON_UNPRINTABLE: {
        "tr": "İndirim nedeni geçersiz: fişe basılamayan karakter içeriyor ya da çok uzun",
        "en": "Invalid reason for the discount: it holds a character a receipt cannot print"
        " or is too long",
    },
    Code.DISCOUNT_OVER_LIMIT: {
        "tr": "Bu indirim yetkinizi aşıyor (en çok %{limit}): yönetici onayı gerekli",
        "en": "This discount is over your limit ({limit} % at most): a manager must approve it",
    },
    Code.INVALID_DISCOUNT_LIMIT: {
        "tr": "İndirim sınırı geçersiz: %0 ile %100 arasında olmalı",
        "en": "Invalid discount limit: it must lie between 0 and 100 %",
    },
}
