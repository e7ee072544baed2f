"""The texts of weighed goods, the scale and scale barcodes, merged into the catalogue
(``pos.domain.messages``) so it stays one place the window reads."""

from __future__ import annotations

from collections.abc import Mapping

from pos.domain.results import Code

WEIGHT_MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.WEIGHT_REQUIRED: {
        "tr": "{name} tartılarak satılır: ağırlığı girin (örn. 1,250) ya da teraziden okuyun",
        "en": "{name} is sold by weight: type the weight (e.g. 1,250) or read the scale",
    },
    Code.WEIGHT_NOT_A_NUMBER: {
        "tr": "Ağırlık bir sayı olmalı, virgülle: örn. 1,250 (bir kilo iki yüz elli gram)",
        "en": "The weight must be a number with a decimal comma: e.g. 1,250 (1.25 kg)",
    },
    Code.WEIGHT_NOT_POSITIVE: {
        "tr": "Ağırlık sıfırdan büyük olmalı",
        "en": "The weight must be more than zero",
    },
    Code.WEIGHT_TOO_PRECISE: {
        "tr": "Ağırlıkta en çok üç ondalık olur (gram): örn. 1,250",
        "en": "A weight has three decimals at most (grams): e.g. 1,250",
    },
    Code.WEIGHT_AMBIGUOUS: {
        "tr": "{typed} belirsiz: binlik ayracı mı ondalık mı? Ondalık için virgül yazın: 1,250",
        "en": "{typed} is ambiguous (a thousands dot or a decimal?): type a comma, 1,250",
    },
    Code.WEIGHT_OVER_MAXIMUM: {
        "tr": "Ağırlık terazinin sınırını aşıyor - en çok: {maximum}",
        "en": "The weight is over the scale's maximum - at most: {maximum}",
    },
    Code.WEIGHT_TOO_LARGE: {
        "tr": "Ağırlık çok büyük - en çok: {maximum}",
        "en": "The weight is too large - at most: {maximum}",
    },
    Code.WEIGHT_ON_PIECE_PRODUCT: {
        "tr": "{name} adetle satılır: ağırlık girilemez, tam sayı yazın",
        "en": "{name} is sold by the piece: no weight, type a whole number",
    },
    Code.SCALE_BARCODE_CHECK_DIGIT: {
        "tr": "Terazi barkodu okunamadı (kontrol hanesi yanlış): {code} - yeniden okutun",
        "en": "The scale barcode did not read right (wrong check digit): {code} - scan it again",
    },
    Code.SCALE_ITEM_UNKNOWN: {
        "tr": "Terazi barkodundaki ürün kodu tanımsız: {item}",
        "en": "No product has the scale barcode's item code: {item}",
    },
    Code.SCALE_PRICE_DISAGREES: {
        "tr": "Etiketteki fiyat ({label}) raf fiyatıyla ({shelf}) uyuşmuyor: ürünü yeniden tartın",
        "en": "The label's price ({label}) disagrees with the shelf price ({shelf}): reweigh",
    },
    Code.SCALE_NO_ANSWER: {
        "tr": "Terazi cevap vermedi: bağlantısını kontrol edin ya da ağırlığı elle girin",
        "en": "The scale did not answer: check its cable or type the weight",
    },
    Code.SCALE_UNSTABLE: {
        "tr": "Terazi dengelenmedi: ürün kıpırdamadan bekleyin ve yeniden okuyun",
        "en": "The scale has not settled: let the item rest and read again",
    },
    Code.SCALE_OVERLOADED: {
        "tr": "Terazi aşırı yüklü: ürün terazinin taşıyabileceğinden ağır",
        "en": "The scale is overloaded: the item is heavier than it can weigh",
    },
    Code.INVALID_SALE_UNIT: {
        "tr": "Satış birimi geçersiz: adet, kg, l ya da m olmalı",
        "en": "Invalid sale unit: it must be piece, kg, l or m",
    },
    Code.INVALID_SCALE_CODE: {
        "tr": "Terazi ürün kodu geçersiz: 1-6 rakam olmalı",
        "en": "Invalid scale item code: 1 to 6 digits",
    },
    Code.DUPLICATE_SCALE_CODE: {
        "tr": "Bu terazi ürün kodu başka bir üründe kayıtlı: {scale_code}",
        "en": "Another product already has this scale item code: {scale_code}",
    },
    Code.SALE_UNIT_CHANGE_WITH_STOCK: {
        "tr": "Satış birimi yalnızca stok sıfırken değişebilir: önce stoğu sıfırlayın",
        "en": "A product's sale unit changes only with no stock: bring its stock to zero first",
    },
}
