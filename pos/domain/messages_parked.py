"""The texts of parked sales (put aside at the till, recalled later), merged into the
catalogue (``pos.domain.messages``) so it stays one place the window reads."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

PARKED_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.PARK_EMPTY: {
        "tr": "Boş satış park edilemez: önce ürün okutun",
        "en": "An empty sale cannot be parked: ring something up first",
    },
    Code.PARKED_LIMIT_REACHED: {
        "tr": "Bu kasada en çok {limit} satış park edilebilir: önce birini geri çağırın",
        "en": "At most {limit} sales can be parked at this till: recall one first",
    },
    Code.PARKED_SALE_NOT_FOUND: {
        "tr": "Bu kasada böyle park edilmiş bir satış yok (zaten geri çağrılmış olabilir)",
        "en": "No such parked sale at this till (it may have been recalled already)",
    },
    Code.SALE_PARKED: {
        "tr": "Bu satış park edilmiş: değiştirmek için önce geri çağırın",
        "en": "This sale is parked: recall it before changing it",
    },
    Code.SALE_IN_PROGRESS: {
        "tr": "Ekranda bir satış var: önce onu park edin, tamamlayın ya da iptal edin",
        "en": "A sale is on the screen: park, finish or void it first",
    },
    Code.PARKED_SALES_AT_CLOSE: {
        "tr": "Bu kasada park edilmiş {count} satış var: gün kapanmadan önce geri çağırıp"
        " tamamlayın ya da iptal edin",
        "en": "{count} parked sales wait at this till: recall them and finish or void them"
        " before closing the day",
    },
    Code.RECALLED_SHORT: {
        "tr": "Satış geri çağrıldı; stoğu yeniden ayrılamayan satırlar çıkarıldı: {short}",
        "en": "Sale recalled; lines whose stock could not be held again were taken off: {short}",
    },
}
