"""Offline selling's texts, in Turkish and English: what the till says while it sells on
its replica (DESIGN.md §5). ``pos.domain.messages`` takes them into the one catalogue."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

OFFLINE_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.OFFLINE_SALE_OVER_CAP: {
        "tr": "Çevrimdışı bir satış en çok {limit} olabilir: yönetici onayı gerekli",
        "en": "An offline sale may come to {limit} at most: this needs a manager's approval",
    },
    Code.OFFLINE_UNSENT_OVER_CAP: {
        "tr": "Gönderilmemiş çevrimdışı satışlar {limit} sınırını aşıyor: yönetici onayı gerekli",
        "en": "Unsent offline sales would pass {limit}: this needs a manager's approval",
    },
    Code.OFFLINE_TOO_LONG: {
        "tr": "Kasa {hours} saattir çevrimdışı: satışa devam için yönetici onayı gerekli",
        "en": "The till has been offline for {hours} hours: selling on needs a manager's approval",
    },
    Code.COUPON_OFFLINE_ALLOWANCE: {
        "tr": "Bu kuponun kullanımları merkez kasada sayılır; çevrimdışıyken bu kasada en çok"
        " {allowance} kez kullanılabilir",
        "en": "This coupon's uses are counted by the central store; offline this till may"
        " take it {allowance} times at most",
    },
    Code.CARD_NOT_OFFLINE: {
        "tr": "Merkez kasaya ulaşılamıyor: kart kabul edilmiyor, nakit alın",
        "en": "The central store cannot be reached: cards are not taken, take cash",
    },
    Code.NEEDS_CENTRAL_STORE: {
        "tr": "Bu işlem merkez kasaya bağlanınca yapılabilir",
        "en": "This can be done once the till reaches the central store again",
    },
    Code.LINES_NOT_CARRIED: {
        "tr": "Bu ürünler kasada bilinmiyor, satıştan çıkarıldı: {names}",
        "en": "This till does not know these products; they were left out of the sale: {names}",
    },
    Code.OFFLINE_SALES_UNSENT: {
        "tr": "{count} çevrimdışı satış henüz merkez kasaya gönderilmedi",
        "en": "{count} offline sales have not yet been sent to the central store",
    },
}
