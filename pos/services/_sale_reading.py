"""Reading an offline sale's payload (``pos.services._offline.sale_payload``) for
``pos.services.ingest``: what the central store needs, typed and checked, or ``Unfit``
with why it cannot be read (a conflict for the manager)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pos.domain.discounts import read_reason
from pos.domain.journal import SaleLine, SaleTender, sale_content
from pos.domain.payments import PaymentStatus
from pos.domain.results import Code, Err
from pos.domain.units import SaleUnit, sale_unit
from pos.services._offline import PAYLOAD_VERSION


class Unfit(Exception):
    """The payload is not a sale this store can read: a conflict, with why."""

    def __init__(self, error: Err) -> None:
        super().__init__(error.code.value)
        self.error = error


def _when(value: object) -> datetime:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        moment = datetime.fromisoformat(value)
    else:
        raise ValueError(f"not a time: {value!r}")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _maybe_when(value: object) -> datetime | None:
    return None if value is None else _when(value)


def _reason(value: object) -> str | None:
    """A line discount's reason as the till kept it; one the receipt could not print is
    no sale this store takes in."""
    if value is None:
        return None
    reason = read_reason(value)
    if isinstance(reason, Code):
        raise ValueError(f"not a discount's reason: {value!r}")
    return reason


def order_id_of(payload: Mapping[str, Any]) -> UUID:
    """The sale's UUID; for a payload without a readable one, one made from its text, so
    the same unreadable payload pushed again is the same conflict."""
    try:
        return UUID(str(payload["order_id"]))
    except (KeyError, TypeError, ValueError):
        text = json.dumps(payload, sort_keys=True, default=str)
        return uuid.uuid5(uuid.NAMESPACE_URL, "kasa-unreadable-sale:" + text)


@dataclass(frozen=True)
class Sale:
    order: dict[str, Any]
    lines: list[dict[str, Any]]
    tenders: list[dict[str, Any]]
    events: list[dict[str, Any]]
    coupon_id: int | None
    coupon_code: str | None
    paid_at: datetime


def read_sale(payload: Mapping[str, Any]) -> Sale:
    version = payload.get("version") if isinstance(payload, Mapping) else None
    if version != PAYLOAD_VERSION:
        raise Unfit(Err(Code.SALE_VERSION_UNKNOWN, {"version": version}))
    try:
        return _read_v1(payload)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise Unfit(Err(Code.SALE_UNREADABLE, {"detail": repr(error)})) from error


def _read_v1(payload: Mapping[str, Any]) -> Sale:
    order_id = UUID(str(payload["order_id"]))
    clock = payload["till_clock"]
    paid_at = _when(clock["paid_at"])
    coupon = payload.get("coupon")
    details = payload.get("details") or {}
    order: dict[str, Any] = {
        "b_order": order_id,
        "b_till": int(payload["till_id"]),
        "b_location": int(payload["location_id"]),
        "b_cashier": payload.get("cashier_id"),
        "b_key": str(payload["idempotency_key"]),
        "b_digest": str(payload["request_digest"]),
        "b_currency": str(payload["currency"]),
        "b_include": bool(payload["prices_include_tax"]),
        "b_subtotal": int(payload["subtotal_minor"]),
        "b_discount": int(payload["discount_minor"]),
        # A line's own discount: a part of the discount, absent from older tills' sales.
        "b_line_discount": int(payload.get("line_discount_minor") or 0),
        "b_tax": int(payload["tax_minor"]),
        "b_total": int(payload["total_minor"]),
        "b_coupon": int(coupon["id"]) if coupon else None,
        "b_coupon_code": coupon.get("code") if coupon else None,
        "b_customer": details.get("customer"),
        "b_billing": details.get("billing_address"),
        "b_shipping": details.get("shipping_address"),
        "b_method": details.get("shipping_method"),
        "b_number": int(payload["receipt_number"]),
        "till_code": str(payload["till_code"]),
        "b_created": _when(clock["created_at"]),
        "b_paid": paid_at,
    }
    lines = [
        {
            "b_order": order_id,
            "b_line_no": int(line["line_no"]),
            "b_product": int(line["product_id"]),
            "b_sku": str(line["sku"]),
            "b_name": str(line["name"]),
            "b_price": int(line["unit_price_minor"]),
            "b_quantity": int(line["quantity"]),
            "b_tax_rate": int(line["tax_rate_bp"]),
            "b_discount": int(line["discount_minor"]),
            "b_total": int(line["total_minor"]),
            "b_unit": _unit(line.get("sale_unit", SaleUnit.PIECE.value)),
            "b_line_discount": int(line.get("line_discount_minor") or 0),
            "b_line_reason": _reason(line.get("line_discount_reason")),
        }
        for line in payload["lines"]
    ]
    if not lines:
        raise ValueError("a sale without lines")
    tenders = [
        {
            "b_order": order_id,
            "b_method": str(tender["method"]),
            "b_provider": tender.get("provider"),
            "b_provider_id": tender.get("provider_payment_id"),
            "b_key": str(tender["idempotency_key"]),
            "b_status": str(tender["status"]),
            "b_amount": int(tender["amount_minor"]),
            "b_currency": str(tender["currency"]),
            "b_tendered": tender.get("tendered_minor"),
            "b_change": tender.get("change_minor"),
            "b_created": _when(tender["created_at"]),
            "b_updated": _when(tender["updated_at"]),
            "b_settled_by": tender.get("settled_by"),
        }
        for tender in payload["tenders"]
    ]
    events = [dict(event) for event in payload.get("payment_events") or ()]
    for event in events:
        event["received_at"] = _when(event["received_at"])
        event["applied_at"] = _maybe_when(event.get("applied_at"))
    return Sale(
        order,
        lines,
        tenders,
        events,
        order["b_coupon"],
        order["b_coupon_code"],
        paid_at,
    )


def sale_entry(sale: Sale, paid: Sequence[tuple[Mapping[str, Any], int]]) -> dict[str, object]:
    """The content of the sale's journal entry, from the payload in hand and the ids its
    tenders got in the store (``paid``: each tender with its id, in the order they were
    made): what ``pos.services.journal.record_sale`` would read back."""
    order = sale.order
    return sale_content(
        order["b_order"],
        receipt=order["b_number"],
        cashier=order["b_cashier"],
        currency=order["b_currency"],
        prices_include_tax=order["b_include"],
        subtotal=order["b_subtotal"],
        discount=order["b_discount"],
        tax=order["b_tax"],
        total=order["b_total"],
        coupon=order["b_coupon_code"],
        lines=(
            SaleLine(
                line["b_line_no"],
                line["b_sku"],
                line["b_name"],
                line["b_quantity"],
                line["b_price"],
                line["b_tax_rate"],
                line["b_discount"],
                line["b_total"],
                line["b_line_discount"],
                line["b_line_reason"],
                line["b_unit"],
            )
            for line in sale.lines
        ),
        tenders=(
            SaleTender(
                payment_id,
                tender["b_method"],
                tender["b_amount"],
                tender["b_tendered"],
                tender["b_change"],
            )
            for tender, payment_id in paid
            if tender["b_status"] == PaymentStatus.PAID
        ),
    )


def _unit(value: object) -> str:
    """A line's sale unit as the till sent it (a sale from before weighed goods: a piece)."""
    unit = sale_unit(value)
    if unit is None or value == "":
        raise ValueError("a line's sale unit is unknown")
    return unit.value
