"""``[scale]`` in the settings file: the till's scale, its capacity, the scale barcodes it
reads and the price label's allowance; anything else is refused naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from pos.domain.scale_barcodes import DEFAULT_LAYOUTS, PRESETS, Embedded, ScaleLayout
from pos.settings import SettingsError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_a_scale_section_the_till_has_no_scale_and_the_usual_layouts(tmp_path):
    settings = load_settings({}, tmp_path / "missing.toml")

    assert settings.scale_device is None
    assert settings.policy.scale.max_weight == 30_000
    assert settings.policy.scale.layouts == DEFAULT_LAYOUTS
    assert settings.policy.scale.price_tolerance_minor == 5


def test_the_scale_section_is_read(tmp_path):
    path = write(
        tmp_path,
        '[scale]\ndevice = "/dev/ttyUSB0"\nbaud = 4800\nmax_weight_kg = 15\n'
        'price_tolerance_amount = "0,10"\n'
        'layouts = ["28-weight", { prefix = "22", item_digits = 4, embeds = "price" }]\n',
    )

    settings = load_settings({}, path)

    assert (settings.scale_device, settings.scale_baud) == ("/dev/ttyUSB0", 4800)
    scale = settings.policy.scale
    assert (scale.max_weight, scale.price_tolerance_minor) == (15_000, 10)
    assert scale.layouts == (PRESETS["28-weight"], ScaleLayout("22", 4, Embedded.PRICE, 2))


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("max_weight_kg = 0", "scale.max_weight_kg"),
        ("max_weight_kg = true", "scale.max_weight_kg"),
        ("baud = 9601", "scale.baud"),
        ('device = ""', "scale.device"),
        ('layouts = ["99-weight"]', "scale.layouts"),
        ('layouts = [{ prefix = "19", embeds = "weight" }]', "scale.layouts"),
        ('layouts = [{ prefix = "27", embeds = "volume" }]', "scale.layouts"),
        ('layouts = "27-weight"', "scale.layouts"),
        ('price_tolerance_amount = "bir lira"', "scale.price_tolerance_amount"),
        ("tare = 5", "tare"),
    ],
)
def test_a_wrong_scale_setting_is_refused_naming_it(tmp_path, text, named):
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load_settings({}, write(tmp_path, f"[scale]\n{text}\n"))
