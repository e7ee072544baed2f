"""``[scale]`` in the settings file: the till's scale and the scale barcodes it reads.

[scale]
device = "/dev/ttyUSB0"          # or "tcp://192.168.1.50:4001", or "simulator"
baud = 9600
max_weight_kg = 30               # one weighing's most, typed weights too
layouts = ["27-weight", "29-price", { prefix = "22", item_digits = 5, embeds = "weight" }]
price_tolerance_amount = "0,05"  # a price label may be this far from the shelf price
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pos.domain.policy import ScalePolicy
from pos.domain.scale_barcodes import PRESETS, Embedded, ScaleLayout

_KEYS = {"device", "baud", "max_weight_kg", "layouts", "price_tolerance_amount"}
_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


def scale_settings(
    table: Mapping[str, object], path: Path, amount_minor: Any, error: type[Exception]
) -> tuple[ScalePolicy, str | None, int]:
    """The scale policy, the scale's device (None: no scale) and its baud rate."""
    unknown = set(table) - _KEYS
    if unknown:
        raise error(f"{path}: [scale] has no {', '.join(sorted(unknown))}")
    device = table.get("device")
    if device is not None and (not isinstance(device, str) or not device.strip()):
        raise error(f'{path}: scale.device must be a port such as "/dev/ttyUSB0"')
    baud = table.get("baud", 9600)
    if baud not in _BAUDS or isinstance(baud, bool):
        raise error(f"{path}: scale.baud must be one of {', '.join(map(str, _BAUDS))}")
    given: dict[str, Any] = {}
    kg = table.get("max_weight_kg")
    if kg is not None:
        if isinstance(kg, bool) or not isinstance(kg, int | float) or not 0 < kg <= 1000:
            raise error(f"{path}: scale.max_weight_kg must be a weight above 0, up to 1000")
        given["max_weight"] = round(kg * 1000)
    tolerance = table.get("price_tolerance_amount")
    if tolerance is not None:
        given["price_tolerance_minor"] = amount_minor(
            tolerance, "TRY", f"{path}: scale.price_tolerance_amount"
        )
    layouts = table.get("layouts")
    if layouts is not None:
        if not isinstance(layouts, list):
            raise error(f"{path}: scale.layouts must be a list of presets or tables")
        given["layouts"] = tuple(_layout(each, path, error) for each in layouts)
    return ScalePolicy(**given), device, int(baud)


def _layout(value: object, path: Path, error: type[Exception]) -> ScaleLayout:
    if isinstance(value, str):
        if value not in PRESETS:
            raise error(f"{path}: scale.layouts: no preset {value!r} ({', '.join(PRESETS)})")
        return PRESETS[value]
    if isinstance(value, dict):
        try:
            embeds = Embedded(str(value.get("embeds")))
            return ScaleLayout(
                str(value.get("prefix")),
                int(value.get("item_digits", 5)),
                embeds,
                int(value.get("decimals", 3 if embeds is Embedded.WEIGHT else 2)),
            )
        except (ValueError, TypeError) as wrong:
            raise error(f"{path}: scale.layouts: {wrong}") from None
    raise error(f"{path}: scale.layouts holds presets' names or tables")
