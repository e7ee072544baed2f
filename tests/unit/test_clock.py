"""The zones a shop may keep its clocks in."""

from __future__ import annotations

from pos.domain.clock import DEFAULT_TIME_ZONE, shop_zones, time_zone


def test_the_shops_choice_of_zones_starts_with_the_default_and_holds_only_real_places() -> None:
    zones = shop_zones()

    assert zones[0] == DEFAULT_TIME_ZONE
    assert list(zones[1:]) == sorted(zones[1:])
    assert {"Europe/Berlin", "Asia/Tokyo"} <= set(zones)
    assert not {"localtime", "posixrules", "Factory"} & set(zones)
    assert all(time_zone(name) is not None for name in zones)
