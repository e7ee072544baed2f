"""The texts of sync conflicts (offline sales the central store could not take), merged
into the one catalogue in :mod:`pos.domain.messages`."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

SYNC_CONFLICT_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.SYNC_CONFLICT_NOT_FOUND: {
        "tr": "Senkron çakışması bulunamadı",
        "en": "Sync conflict not found",
    },
    Code.SYNC_CONFLICT_CLOSED: {
        "tr": "Bu çakışma zaten sonuçlandırılmış",
        "en": "This conflict has already been settled",
    },
    Code.SYNC_CONFLICT_UNREADABLE: {
        "tr": "Kasanın gönderdiği satış okunamıyor: yeniden denenemez; kabul edin veya"
        " kayıttan düşün",
        "en": "The sale the till sent cannot be read: it cannot be retried; accept it or"
        " write it off",
    },
}

REASON_ERROR = "error"
"""A conflict's reason when the central store hit a fault in the code, not a refusal."""
REASON_TEXTS: Mapping[str, Mapping[str, str]] = {
    REASON_ERROR: {
        "tr": "Merkez kasada bir yazılım hatası",
        "en": "A fault in the central store's software",
    },
}
"""Reasons that are not result codes; a result code is said by its catalogue message."""
