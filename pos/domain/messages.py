"""The one message catalogue: every result code in Turkish and English.

The seed specification's Turkish texts appear here exactly as it writes them.
Placeholders use ``str.format`` names that match the result's parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from babel.numbers import format_decimal

from pos.domain.locales import DEFAULT_LOCALE as DEFAULT_LOCALE
from pos.domain.locales import LOCALES as LOCALES
from pos.domain.messages_day import DAY_MESSAGES
from pos.domain.messages_discounts import DISCOUNT_MESSAGES
from pos.domain.messages_journal import JOURNAL_MESSAGES
from pos.domain.messages_offline import OFFLINE_MESSAGES
from pos.domain.messages_parked import PARKED_MESSAGES
from pos.domain.messages_replica import REPLICA_MESSAGES
from pos.domain.messages_sync import SYNC_MESSAGES
from pos.domain.messages_sync_conflicts import SYNC_CONFLICT_MESSAGES
from pos.domain.messages_weights import WEIGHT_MESSAGES
from pos.domain.money import Money, format_money
from pos.domain.results import Code, Err, Warn
from pos.domain.units import Measure

MESSAGES: Mapping[Code, Mapping[str, str]] = {
    Code.INVALID_QUANTITY: {
        "tr": "Geçersiz adet",
        "en": "Invalid quantity",
    },
    Code.QUANTITY_NOT_WHOLE: {
        "tr": "Adet tam sayı olmalı",
        "en": "Quantity must be a whole number",
    },
    Code.QUANTITY_OUT_OF_RANGE: {
        "tr": "Adet {lowest} ile {highest} arasında olmalı",
        "en": "Quantity must be between {lowest} and {highest}",
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
    Code.TAX_RATE_NOT_USED: {
        "tr": "KDV oranı %{rate} bu mağazada kullanılmıyor; kullanılan oranlar (%): {rates}",
        "en": "The tax rate {rate}% is not used in this shop; the rates in use (%): {rates}",
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
    Code.COUPON_INVALID: {
        "tr": "Kupon geçersiz",
        "en": "Invalid coupon",
    },
    Code.COUPON_BELOW_MINIMUM: {
        "tr": "Sepet tutarı kupon için yetersiz",
        "en": "The cart total is too low for this coupon",
    },
    Code.COUPON_LIMIT_REACHED: {
        "tr": "Kupon kullanım limiti dolmuş",
        "en": "This coupon has no uses left",
    },
    Code.COUPON_CODE_MALFORMED: {
        "tr": "Kupon kodu 1-32 harf, rakam, '-' veya '_' olmalı",
        "en": "A coupon code is 1-32 letters, digits, '-' or '_'",
    },
    Code.INVALID_COUPON_VALUE: {
        "tr": "Geçersiz kupon değeri: yüzde 0-100 arası, tutar sıfırdan büyük olmalı",
        "en": "Invalid coupon value: a percentage lies in 0-100, an amount above zero",
    },
    Code.INVALID_COUPON_DATES: {
        "tr": "Kuponun bitiş tarihi başlangıcından sonra olmalı",
        "en": "The coupon must end after it starts",
    },
    Code.DUPLICATE_COUPON: {
        "tr": "Bu kupon kodu kullanılıyor: {coupon}",
        "en": "This coupon code is taken: {coupon}",
    },
    Code.CART_EMPTY: {
        "tr": "Sepet boş",
        "en": "The cart is empty",
    },
    Code.PRICE_CHANGED: {
        "tr": "Fiyat veya stok değişti, lütfen tekrar kontrol et",
        "en": "Prices or stock changed, please check again",
    },
    Code.OUT_OF_STOCK_AT_CHECKOUT: {
        "tr": "Stok yetersiz: {name}",
        "en": "Out of stock: {name}",
    },
    Code.INVALID_IDEMPOTENCY_KEY: {
        "tr": "Geçersiz işlem anahtarı: 1-255 yazdırılabilir karakter olmalı",
        "en": "Invalid request key: 1-255 printable characters",
    },
    Code.IDEMPOTENCY_KEY_REUSED: {
        "tr": "Bu işlem anahtarı başka bir satışta kullanıldı",
        "en": "This request key was already used for a different sale",
    },
    Code.INVALID_AMOUNT: {
        "tr": "Geçersiz tutar",
        "en": "Invalid amount",
    },
    Code.CASH_SHORT: {
        "tr": "Verilen tutar yetersiz - toplam: {total}",
        "en": "Not enough cash given - total: {total}",
    },
    Code.TENDER_ABOVE_DUE: {
        "tr": "Tutar kalan borçtan fazla - kalan: {due}",
        "en": "The amount is more than is still due - due: {due}",
    },
    Code.CHANGE_ONLY_ON_LAST: {
        "tr": "Para üstü yalnızca kalanı kapatan nakit ödemede verilir",
        "en": "Change is given only on the cash payment that settles the rest",
    },
    Code.SALE_ALREADY_COVERED: {
        "tr": "Satışın tamamı ödendi: başka ödeme alınmaz",
        "en": "The sale is paid in full: no further payment is taken",
    },
    Code.SALE_NOT_OPEN: {
        "tr": "Satış ödemeye açık değil",
        "en": "The sale is not open for payment",
    },
    Code.SALE_BEING_VOIDED: {
        "tr": "Satış iptal ediliyor: ödemeler iade ediliyor",
        "en": "The sale is being voided: its payments are being refunded",
    },
    Code.SALE_PART_PAID: {
        "tr": "Satışın bir kısmı ödendi - kalan: {due}",
        "en": "Part of the sale is paid - still due: {due}",
    },
    Code.REFUND_TOO_LARGE: {
        "tr": "İade tutarı ödenenden fazla - iade edilebilir: {left}",
        "en": "The refund is more than was paid - refundable: {left}",
    },
    Code.REFUND_NOT_FOUND: {
        "tr": "İade bulunamadı",
        "en": "Refund not found",
    },
    Code.REFUND_PENDING: {
        "tr": "İade terminalde bekliyor; sonucu sorulmaya devam edilecek",
        "en": "The refund is waiting at the terminal; it will be asked again for the outcome",
    },
    Code.REFUND_FAILED: {
        "tr": "Kart iadesi yapılamadı",
        "en": "The card refund did not go through",
    },
    Code.RETURN_TOO_MANY: {
        "tr": "İade adedi satılandan fazla: {name} için en çok {left} adet iade edilebilir",
        "en": "More than was sold: at most {left} of {name} can be returned",
    },
    Code.RETURN_TOO_MUCH: {
        "tr": "İade miktarı satılandan fazla: {name} için en çok {left} iade edilebilir",
        "en": "More than was sold: at most {left} of {name} can be returned",
    },
    Code.RETURN_LINE_NOT_IN_SALE: {
        "tr": "Bu satır bu satışta yok: {line}",
        "en": "This line is not in this sale: {line}",
    },
    Code.RETURN_OF_RETURN: {
        "tr": "Bu bir iade fişi: iadenin iadesi yapılmaz",
        "en": "This is a refund receipt: a refund cannot be returned",
    },
    Code.RETURN_NOTHING: {
        "tr": "İade edilecek ürün seçilmedi",
        "en": "Nothing was chosen to return",
    },
    Code.INVALID_RETURN_REASON: {
        "tr": "İade nedeni yazın (en çok 200 karakter)",
        "en": "Write why it is returned (200 characters at most)",
    },
    Code.REFUND_IN_FLIGHT: {
        "tr": "Bu satışın bir iadesi terminalde bekliyor: önce onu sonuçlandırın",
        "en": "A refund of this sale is waiting at the terminal: settle that one first",
    },
    Code.RETURN_NOT_FOUND: {
        "tr": "İade bulunamadı",
        "en": "Return not found",
    },
    Code.REFUNDS_UNDER_WAY: {
        "tr": "Ödemeler iade ediliyor: satış iadeler bitince iptal olur",
        "en": "The payments are being refunded: the sale is voided when they are done",
    },
    Code.INVALID_TENDER: {
        "tr": "Geçersiz ödeme şekli",
        "en": "Invalid payment method",
    },
    Code.INVALID_DETAILS: {
        "tr": "Geçersiz müşteri veya adres bilgisi: {field}",
        "en": "Invalid customer or address details: {field}",
    },
    Code.TILL_NOT_FOUND: {
        "tr": "Kasa bulunamadı",
        "en": "Till not found",
    },
    Code.LOCATION_NOT_FOUND: {
        "tr": "Mağaza bulunamadı",
        "en": "Shop not found",
    },
    Code.INVALID_SETTING: {
        "tr": "Geçersiz ayar: {setting}",
        "en": "Invalid setting: {setting}",
    },
    Code.UNKNOWN_TIME_ZONE: {
        "tr": "Bilinmeyen saat dilimi: Europe/Istanbul gibi yazın",
        "en": "Unknown time zone: write it like Europe/Istanbul",
    },
    Code.BACKUP_DISK_FULL: {
        "tr": "Yedek alınamadı: {place} dolu. Son iyi yedek olduğu gibi duruyor.",
        "en": "The backup was not made: {place} is full. The last good backup is untouched.",
    },
    Code.BACKUP_PLACE_UNWRITABLE: {
        "tr": "Yedek alınamadı: {place} klasörüne yazılamıyor ({reason})",
        "en": "The backup was not made: {place} cannot be written to ({reason})",
    },
    Code.BACKUP_PLACE_MISSING: {
        "tr": "Yedek alınamadı: {place} bulunamadı (USB bellek takılı mı, ağ klasörü bağlı mı?)",
        "en": "The backup was not made: {place} is not there (is the USB stick in, the"
        " network folder connected?)",
    },
    Code.BACKUP_FAILED: {
        "tr": "Yedek alınamadı: {reason}",
        "en": "The backup was not made: {reason}",
    },
    Code.BACKUP_CHECK_FAILED: {
        "tr": "Yedek alınamadı: kopya denetimden geçmedi ({reason}). Son iyi yedek duruyor.",
        "en": "The backup was not made: the copy failed its check ({reason}). The last good"
        " backup is untouched.",
    },
    Code.BACKUP_NOT_FOUND: {
        "tr": "Yedek dosyası bulunamadı: {path}",
        "en": "No backup file at {path}",
    },
    Code.BACKUP_DAMAGED: {
        "tr": "Yedek dosyası bozuk: {path} ({reason})",
        "en": "The backup file is damaged: {path} ({reason})",
    },
    Code.BACKUP_UNKNOWN_SCHEMA: {
        "tr": "Bu yedek Kasa'nın tanımadığı bir sürümden ({schema}): Kasa'yı güncelleyin",
        "en": "This backup comes from a Kasa this one does not know ({schema}): update Kasa",
    },
    Code.BACKUP_BOOKS_WRONG: {
        "tr": "Yedekteki defterler tutmuyor: {reason}",
        "en": "The books in the backup do not add up: {reason}",
    },
    Code.BACKUP_OLDER_THAN_STORE: {
        "tr": "Bu yedek mağazadan eski: geri yüklenirse yedekte olmayan {lost} satış"
        " kaybolur. Yine de yüklemek için --force ekleyin.",
        "en": "This backup is older than the store: restoring it would lose {lost} sales"
        " the backup does not hold. Add --force to restore it all the same.",
    },
    Code.BACKUP_TOOL_MISSING: {
        "tr": "{tool} kurulu değil: PostgreSQL mağazasının yedeği alınamadı. PostgreSQL"
        " istemci araçlarını kurun (Debian/Ubuntu: apt install postgresql-client).",
        "en": "{tool} is not installed: the PostgreSQL store was not backed up. Install the"
        " PostgreSQL client tools (Debian/Ubuntu: apt install postgresql-client).",
    },
    Code.BACKUP_TOOL_FAILED: {
        "tr": "{tool} başarısız oldu: {reason}",
        "en": "{tool} failed: {reason}",
    },
    Code.RESTORE_NOT_LOCAL: {
        "tr": "Bu kasanın mağazası PostgreSQL: geri yükleme sunucuda pg_restore ile yapılır"
        " (README: Yedekler)",
        "en": "This till's store is PostgreSQL: restore it on the server with pg_restore"
        " (README: Backups)",
    },
    Code.STORE_IN_USE: {
        "tr": "Kasa bu mağazayla açık ({path}): geri yüklemeden önce kasayı kapatın",
        "en": "A till has this store open ({path}): close the till before restoring",
    },
    Code.BACKUP_PLACE_FAILED: {
        "tr": "Yedek {made} klasörüne alındı, ancak diğer yere yazılamadı: {reason}",
        "en": "The backup was made in {made}, but not in the other place: {reason}",
    },
    Code.ORDER_NOT_FOUND: {
        "tr": "Satış bulunamadı",
        "en": "Sale not found",
    },
    Code.ORDER_NOT_PAID: {
        "tr": "Satış ödenmedi: fiş yok",
        "en": "The sale is not paid: there is no receipt",
    },
    Code.PAYMENT_NOT_FOUND: {
        "tr": "Ödeme bulunamadı",
        "en": "Payment not found",
    },
    Code.INVALID_PROVIDER_ID: {
        "tr": "Geçersiz ödeme sağlayıcı numarası",
        "en": "Invalid payment provider reference",
    },
    Code.PAYMENT_TRANSITION_FORBIDDEN: {
        "tr": "Ödeme durumu değiştirilemez: {current} → {target}",
        "en": "The payment cannot move from {current} to {target}",
    },
    Code.PAYMENT_IN_PROGRESS: {
        "tr": "Ödeme sürüyor: önce sonucunu bekleyin",
        "en": "A payment is in progress: wait for its outcome first",
    },
    Code.PAYMENT_FAILED: {
        "tr": "Ödeme başarısız",
        "en": "Payment failed",
    },
    Code.PAYMENT_COMPLETED: {
        "tr": "Ödeme tamamlandı",
        "en": "Payment completed",
    },
    Code.PAYMENT_NOT_CARD: {
        "tr": "Bu ödeme kartla değil",
        "en": "This is not a card payment",
    },
    Code.TERMINAL_BUSY: {
        "tr": "Terminal başka bir ödemeyi bekliyor: önce onu sonuçlandırın",
        "en": "The terminal is waiting for another payment: settle that one first",
    },
    Code.TERMINAL_UNREACHABLE: {
        "tr": "Terminale ulaşılamıyor; ödeme sonucu sorulmaya devam edilecek",
        "en": "The terminal cannot be reached; it will be asked again for the outcome",
    },
    Code.TERMINAL_REFUSED: {
        "tr": "Terminal isteği reddetti: {reason}",
        "en": "The terminal refused the request: {reason}",
    },
    Code.PAYMENT_STATE_UNKNOWN: {
        "tr": "Ödemenin durumu henüz bilinmiyor; ürünler ayrılmış kalıyor",
        "en": "The payment's outcome is not known yet; the goods stay held",
    },
    Code.PAYMENT_PENDING: {
        "tr": "Kart bekleniyor",
        "en": "Waiting for the card",
    },
    Code.PAYMENT_UNDER_REVIEW: {
        "tr": "Ödeme tutarı veya para birimi uyuşmuyor: yönetici incelemeli",
        "en": "The payment's amount or currency does not match: a manager must review it",
    },
    Code.INVALID_OUTCOME: {
        "tr": "Geçersiz ödeme sonucu",
        "en": "Invalid payment outcome",
    },
    Code.INVALID_NOTE: {
        "tr": "Bir açıklama yazın (en çok 500 karakter)",
        "en": "Write a note (500 characters at most)",
    },
    Code.WRONG_PIN: {
        "tr": "Yanlış PIN. Kalan deneme: {remaining}",
        "en": "Wrong PIN. Attempts left: {remaining}",
    },
    Code.USER_LOCKED: {
        "tr": "Kullanıcı kilitli: {minutes} dakika sonra tekrar deneyin",
        "en": "User locked: try again in {minutes} minutes",
    },
    Code.USER_INACTIVE: {
        "tr": "Kullanıcı etkin değil",
        "en": "User is not active",
    },
    Code.BARCODE_NOT_FOUND: {
        "tr": "Barkod bulunamadı: {code}",
        "en": "Barcode not found: {code}",
    },
    Code.MANAGER_ONLY: {
        "tr": "Bu ekran yalnızca yöneticilere açıktır",
        "en": "Only store managers can open this screen",
    },
    Code.APPROVAL_REQUIRED: {
        "tr": "Bu işlem için yönetici onayı gerekli",
        "en": "This needs a manager's approval",
    },
    Code.CANNOT_CHANGE_SELF: {
        "tr": "Kendi hesabınızı devre dışı bırakamazsınız",
        "en": "You cannot deactivate your own account",
    },
    Code.LAST_MANAGER: {
        "tr": "Son etkin yönetici devre dışı bırakılamaz",
        "en": "The last active manager cannot be deactivated",
    },
    Code.INVALID_MINIMUM: {
        "tr": "Geçersiz asgari stok: 0 veya daha büyük bir tam sayı girin",
        "en": "Invalid minimum stock: enter a whole number, 0 or more",
    },
    Code.INVALID_DATE_RANGE: {
        "tr": "Geçersiz tarih aralığı: bitiş tarihi başlangıçtan önce olamaz",
        "en": "Invalid date range: the end cannot come before the start",
    },
    Code.INVALID_FILTER: {
        "tr": "Geçersiz filtre",
        "en": "Invalid filter",
    },
    Code.DELIVERY_EMPTY: {
        "tr": "Teslimatta hiç satır yok",
        "en": "The delivery has no lines",
    },
    Code.DELIVERY_BAD_LINE: {
        "tr": "Satır {line}: {problem}",
        "en": "Line {line}: {problem}",
    },
    Code.RESERVATION_NOT_FOUND: {
        "tr": "Rezervasyon bulunamadı",
        "en": "Reservation not found",
    },
    Code.RESERVATION_NOT_EXPIRED: {
        "tr": "Rezervasyonun süresi dolmadı: sepet hâlâ kullanımda olabilir",
        "en": "The reservation has not expired: the cart may still be in use",
    },
    Code.OVERSELL_NOT_FOUND: {
        "tr": "Fazla satış kaydı bulunamadı",
        "en": "Oversell record not found",
    },
    Code.OVERSELL_RESOLVED: {
        "tr": "Bu fazla satış zaten çözüldü",
        "en": "This oversell has already been resolved",
    },
    Code.COUPON_NOT_FOUND: {
        "tr": "Kupon bulunamadı",
        "en": "Coupon not found",
    },
    Code.COUPON_IN_USE: {
        "tr": "Kullanılmış kupon silinemez; devre dışı bırakabilirsiniz",
        "en": "A coupon that has been used cannot be deleted; deactivate it instead",
    },
    Code.IMPORT_BAD_ENCODING: {
        "tr": "Satır {line} okunamadı: dosya UTF-8 ya da Windows-1254 (Türkçe Excel) metni"
        " değil; CSV dosyasını UTF-8 olarak kaydedin",
        "en": "Line {line} cannot be read: the file is not UTF-8 or Windows-1254 (Turkish"
        " Excel) text; save the CSV as UTF-8",
    },
    Code.IMPORT_LINE_TOO_LONG: {
        "tr": "Satır {line} çok uzun (en fazla {limit} bayt)",
        "en": "Line {line} is too long (at most {limit} bytes)",
    },
    Code.IMPORT_TOO_LARGE: {
        "tr": "Dosya çok büyük (en fazla {limit} satır)",
        "en": "The file is too large (at most {limit} rows)",
    },
    Code.IMPORT_CANCELLED: {
        "tr": "İçe aktarma iptal edildi; hiçbir ürün değişmedi",
        "en": "Import cancelled; no product was changed",
    },
    Code.EVENT_NOT_FOUND: {
        "tr": "Ödeme olayı bulunamadı",
        "en": "Payment event not found",
    },
    Code.PAYMENT_NEEDS_NO_ATTENTION: {
        "tr": "Bu ödeme zaten sonuçlandı",
        "en": "This payment is already settled",
    },
    Code.CONFLICT_NOT_FOUND: {
        "tr": "Ödeme uyuşmazlığı bulunamadı",
        "en": "Payment conflict not found",
    },
    Code.CONFLICT_ALREADY_HANDLED: {
        "tr": "Bu uyuşmazlık zaten ele alındı",
        "en": "This conflict has already been handled",
    },
    Code.TERMINAL_NEVER_HAD_PAYMENT: {
        "tr": "Terminal bu ödemeyi hiç almamış: ödeme başarısız sayıldı, satış kasaya geri döndü",
        "en": "The terminal never had this payment: it failed, and the sale is back at the till",
    },
    Code.COUPON_TERMS_IN_USE: {
        "tr": "Kullanılmış kuponun kodu, türü ve değeri değiştirilemez; yeni bir kupon oluşturun",
        "en": "A coupon that has been used keeps its code, kind and value; create a new one",
    },
    Code.COUPON_LIMIT_BELOW_USES: {
        "tr": "Kullanım limiti, kuponun kullanım sayısının ({used}) altına inemez",
        "en": "The usage limit cannot go below the times the coupon was used ({used})",
    },
    Code.INVALID_ROLE: {
        "tr": "Geçersiz rol: kasiyer veya yönetici olmalı",
        "en": "Invalid role: cashier or manager",
    },
    Code.DELIVERY_REJECTED: {
        "tr": "Teslimat alınmadı: {count} satır hatalı",
        "en": "Nothing was received: {count} lines have errors",
    },
    Code.DELIVERY_TOO_LARGE: {
        "tr": "Bir teslimatta en fazla {limit} satır olabilir",
        "en": "A delivery has at most {limit} lines",
    },
    Code.INVALID_STOCK_NOTE: {
        "tr": "Geçersiz not: en fazla 200 karakter, kontrol karakteri olmadan",
        "en": "Invalid note: up to 200 characters, no control characters",
    },
    Code.IMPORT_UNREADABLE: {
        "tr": "Dosya okunamadı: {path}",
        "en": "The file cannot be read: {path}",
    },
    Code.INVALID_ACTIVE_FLAG: {
        "tr": "Ürünün satışta olup olmadığı geçersiz belirtilmiş",
        "en": "Whether the product is on sale is given wrongly",
    },
    Code.STORE_BUSY: {
        "tr": "Mağaza veritabanı şu an meşgul, biraz sonra tekrar deneyin",
        "en": "The store is busy right now; try again in a moment",
    },
    Code.STORE_UNREACHABLE: {
        "tr": "Merkezi mağazaya ulaşılamıyor, tekrar deneyin",
        "en": "The central store cannot be reached; try again",
    },
    Code.BARCODE_UNREADABLE: {
        "tr": "Barkod okunamadı: okutulan kodda geçersiz karakter var, tekrar okutun",
        "en": "Barcode not readable: the scanned code holds an invalid character, scan again",
    },
    Code.FREE_ITEM_NEEDS_REASON: {
        "tr": "Ürünü ücretsiz vermek için bir neden yazın",
        "en": "Giving an item away needs a reason",
    },
    Code.DRAWER_NEEDS_REASON: {
        "tr": "Çekmeceyi satışsız açmak için bir neden yazın (en az 3 harf)",
        "en": "Opening the drawer without a sale needs a reason (3 letters at least)",
    },
    **JOURNAL_MESSAGES,
    **OFFLINE_MESSAGES,
    **REPLICA_MESSAGES,
    **DAY_MESSAGES,
    **SYNC_CONFLICT_MESSAGES,
    **SYNC_MESSAGES,
    **WEIGHT_MESSAGES,
    **DISCOUNT_MESSAGES,
    **PARKED_MESSAGES,
}


ENCODINGS: Mapping[str, Mapping[str, str]] = {
    "utf-8": {"tr": "UTF-8", "en": "UTF-8"},
    "cp1254": {"tr": "Windows-1254 (Türkçe Excel)", "en": "Windows-1254 (Turkish Excel)"},
}
"""The encodings a product file is read in (Python's names), as the manager knows them."""


def encoding_name(encoding: str, locale: str = DEFAULT_LOCALE) -> str:
    """What the manager calls the encoding a file was read in; its own name if unknown."""
    names = ENCODINGS.get(encoding)
    if names is None:
        return encoding
    return names.get(locale) or names[DEFAULT_LOCALE]


def _param_text(value: object, locale: str) -> str:
    if isinstance(value, Err):
        return render(value, locale)
    if isinstance(value, Money):
        return format_money(value.minor, value.currency, locale)
    if isinstance(value, Measure):
        return value.text(locale)
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return format_decimal(value, locale=locale)
    return str(value)


def render(message: Err | Warn[object], locale: str = DEFAULT_LOCALE) -> str:
    """The text of a result's message in ``locale`` (Turkish unless told otherwise)."""
    texts = MESSAGES[message.code]
    template = texts.get(locale) or texts[DEFAULT_LOCALE]
    params = {name: _param_text(value, locale) for name, value in message.params.items()}
    return template.format(**params)
