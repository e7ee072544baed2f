"""The texts of sending offline sales home (issue 17), merged into ``MESSAGES``."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

SYNC_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.SALE_VERSION_UNKNOWN: {
        "tr": "Satış, merkez kasanın bilmediği bir biçimde gönderildi (sürüm {version})",
        "en": "The sale was sent in a form the central store does not know (version {version})",
    },
    Code.SALE_UNREADABLE: {
        "tr": "Gönderilen satış okunamadı: {detail}",
        "en": "The sale sent could not be read: {detail}",
    },
    Code.SALE_PRODUCT_UNKNOWN: {
        "tr": "Satıştaki bir ürün merkez kasada bilinmiyor (ürün {product_id})",
        "en": "A product of the sale is not known to the central store (product {product_id})",
    },
    Code.SALE_COUPON_UNKNOWN: {
        "tr": "Satıştaki kupon merkez kasada bilinmiyor ({coupon})",
        "en": "The sale's coupon is not known to the central store ({coupon})",
    },
    Code.SALE_DUPLICATE: {
        "tr": "Bu satış merkez kasada başka bir satış olarak zaten var ({key})",
        "en": "The central store already has this sale as another sale ({key})",
    },
    Code.SALE_FAULT: {
        "tr": "Merkez kasa satışı alırken bir hata oluştu: {detail}",
        "en": "The central store failed while taking the sale: {detail}",
    },
    Code.SYNC_PROGRESS: {
        "tr": "{sent} / {total} satış gönderildi",
        "en": "{sent} / {total} sales sent",
    },
    Code.SYNC_INTERRUPTED: {
        "tr": "Satışlar gönderilirken merkez kasa yine gitti: {sent} / {total} gönderildi",
        "en": "The central store went again while sending the sales: {sent} / {total} sent",
    },
}
