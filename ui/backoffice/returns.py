"""Returns as the orders page shows them: the day's refund receipts in a tab beside the
day's sales, and a sale's own returns in its detail. The page asks the store
(``pos.services.return_list``); this module only says how a row reads."""

from __future__ import annotations

from pos.services.return_list import ReturnRow
from ui.backoffice.common import Column, when
from ui.backoffice.widgets import money
from ui.i18n import N_

RETURN_COLUMNS: tuple[Column[ReturnRow], ...] = (
    Column(N_("Refund receipt"), lambda row: row.number_label),
    Column(N_("Time"), lambda row: when(row.created_at)),
    Column(N_("Sale receipt"), lambda row: row.sale_receipt or ""),
    Column(N_("Total"), lambda row: money(row.total_minor, row.currency), align_right=True),
    Column(N_("Cashier"), lambda row: row.cashier or ""),
    Column(N_("Approved by"), lambda row: row.approved_by or ""),
    Column(N_("Reason"), lambda row: row.reason),
)
