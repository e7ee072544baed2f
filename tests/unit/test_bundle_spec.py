"""The bundle's recipe (packaging/kasa.spec) agrees with the code it packs, without building it.

A full PyInstaller build takes CI a minute and belongs to ``make dist``; what can go wrong
between builds is cheaper to catch here: a Qt module imported by the till but left out of
the bundle, a PySide6 module nobody decided on, a platform plugin the till needs dropped,
the desktop entry and icons out of step with what the install script and window expect.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import struct
import tomllib
from pathlib import Path

import pytest

import pos

ROOT = Path(pos.__file__).parent.parent
SPEC = ROOT / "packaging" / "kasa.spec"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def spec_value(name: str) -> list[str]:
    """A list the spec assigns to ``name``, read from its source (the spec itself only
    runs inside PyInstaller)."""
    tree = ast.parse(SPEC.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            value: list[str] = ast.literal_eval(node.value)
            return value
    raise AssertionError(f"{SPEC} assigns no {name}")


def qt_modules_imported(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            found.update(name.split(".")[1] for name in names if name.startswith("PySide6."))
    return found


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, path
    width, height = struct.unpack(">II", data[16:24])  # IHDR comes first
    return width, height


def test_every_qt_module_the_till_imports_goes_into_the_bundle():
    bundled, excluded = set(spec_value("QT_MODULES")), set(spec_value("QT_EXCLUDED"))

    assert qt_modules_imported(ROOT / "ui") <= bundled
    assert not bundled & excluded
    assert "QtTest" in bundled  # the self-test drives the window with it


def test_every_pyside6_module_installed_is_either_bundled_or_left_out_on_purpose():
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None
    assert spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    installed = {path.name.split(".")[0] for path in folder.glob("Qt*.pyi")}
    decided = set(spec_value("QT_MODULES")) | set(spec_value("QT_EXCLUDED"))

    assert installed
    assert installed <= decided, f"decide on {sorted(installed - decided)} in {SPEC.name}"


def test_the_platforms_a_till_starts_on_stay_in_the_bundle():
    left_out = spec_value("QT_PLUGINS_LEFT_OUT")
    for plugin in ("qxcb", "qwayland", "qwindows", "qcocoa", "qoffscreen", "qminimal"):
        assert not any(f"platforms/{plugin}".startswith(part) for part in left_out), plugin
    assert not any(part.startswith("xcbglintegrations") for part in left_out)


def test_the_bundles_program_is_the_pos_command_with_its_window():
    script = (ROOT / "packaging" / "kasa.py").read_text(encoding="utf-8")
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]

    assert scripts["pos"] == "ui.launcher:main"
    assert "from ui.launcher import main" in script
    assert "'packaging' / 'kasa.py'" in SPEC.read_text(encoding="utf-8").replace('"', "'")


def test_the_release_is_said_once_and_pyproject_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert "version" not in project["project"]
    assert "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "pos.__version__"}
    assert pos.__version__.count(".") == 2
    assert "pyinstaller" in " ".join(project["project"]["optional-dependencies"]["dist"]).lower()
    assert "pyinstaller" not in " ".join(project["project"]["optional-dependencies"]["test"])


def test_the_icons_are_the_sizes_their_names_say():
    pngs = sorted((ROOT / "resources" / "icons").glob("kasa-*.png"))
    sizes = sorted(int(path.stem.split("-")[1]) for path in pngs)

    assert (sizes[0], sizes[-1]) == (16, 512)
    for path in pngs:
        side = int(path.stem.split("-")[1])
        assert png_size(path) == (side, side), path.name


def test_the_windows_icon_holds_png_images_up_to_256():
    data = (ROOT / "packaging" / "icons" / "kasa.ico").read_bytes()
    reserved, kind, count = struct.unpack_from("<HHH", data)
    sides = []
    for entry in range(count):
        width, height, *_rest, size, offset = struct.unpack_from("<BBBBHHII", data, 6 + 16 * entry)
        assert width == height
        assert data[offset : offset + 8] == PNG_SIGNATURE
        assert offset + size <= len(data)
        sides.append(width or 256)

    assert (reserved, kind) == (0, 1)
    assert (min(sides), max(sides)) == (16, 256)


@pytest.fixture
def desktop_entry() -> configparser.ConfigParser:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    entry.read(ROOT / "packaging" / "linux" / "kasa.desktop", encoding="utf-8")
    return entry


def test_the_desktop_entry_starts_the_installed_program_with_its_icon(desktop_entry):
    main = desktop_entry["Desktop Entry"]
    install = (ROOT / "packaging" / "linux" / "install.sh").read_text(encoding="utf-8")

    assert (main["Type"], main["Exec"], main["Icon"]) == ("Application", "kasa", "kasa")
    assert desktop_entry["Desktop Action demo"]["Exec"] == "kasa --demo"
    assert "s|^Exec=kasa|Exec=$program/kasa|" in install  # the menu needs the full path
    assert "hicolor/${size}x${size}/apps/kasa.png" in install  # Icon=kasa finds it there
    # Wayland finds the window's entry by the name the application gives.
    assert 'setDesktopFileName("kasa")' in (ROOT / "ui" / "app.py").read_text(encoding="utf-8")
