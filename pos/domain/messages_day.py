"""The texts of a till's day (cash sessions, X and Z reports), merged into the catalogue
(``pos.domain.messages``) so it stays one place the window reads."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

DAY_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.NO_CASH_SESSION: {
        "tr": "Kasa açık değil: önce açılış tutarını sayıp kasayı açın",
        "en": "The till is not open: count the float and open it first",
    },
    Code.CASH_SESSION_OPEN: {
        "tr": "Bu kasa zaten açık",
        "en": "This till is already open",
    },
    Code.CASH_SESSION_CLOSED: {
        "tr": "Bu kasa günü kapatılmış; Z raporu değiştirilemez",
        "en": "This till's day is closed; its Z report cannot change",
    },
    Code.CASH_SESSION_NOT_FOUND: {
        "tr": "Kasa günü bulunamadı",
        "en": "Cash session not found",
    },
    Code.INVALID_FLOAT: {
        "tr": "Açılış tutarı geçersiz: sıfır ya da daha çok, tam kuruş olmalı",
        "en": "Invalid float: it must be zero or more, in whole kuruş",
    },
    Code.INVALID_COUNT: {
        "tr": "Sayım geçersiz: her ödeme türü için sıfır ya da daha çok bir tutar girin",
        "en": "Invalid count: enter zero or more for each tender",
    },
    Code.CASH_MOVEMENT_NEEDS_REASON: {
        "tr": "Kasaya para girişi ya da çıkışı için bir neden yazın (en az 3 harf)",
        "en": "Cash paid in or out needs a reason (3 letters at least)",
    },
    Code.PAY_OUT_ABOVE_DRAWER: {
        "tr": "Çekmecede bu kadar nakit yok - olması gereken: {available}",
        "en": "The drawer does not hold that much cash - it should hold: {available}",
    },
    Code.SALE_OPEN_AT_CLOSE: {
        "tr": "Bir ödeme ya da iade sürüyor: gün kapanmadan önce tamamlayın ya da iptal edin",
        "en": "A payment or refund is under way: finish or void it before closing the day",
    },
}
