"""Before Qt starts on X11, the launcher names every system library Qt's xcb plugin
needs and is missing, with its package and the command that installs it."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from ui import desktop_libraries
from ui.desktop_libraries import (
    EXIT_MISSING_LIBRARIES,
    PACKAGES,
    PLUGIN,
    check_desktop_libraries,
    elf_needed,
    needed_libraries,
    qt_directory,
    xcb_will_be_used,
)

X11 = {"DISPLAY": ":0"}
QT = qt_directory()
on_linux_with_qt = pytest.mark.skipif(
    not sys.platform.startswith("linux") or QT is None or not (QT / PLUGIN).is_file(),
    reason="Qt's xcb plugin is a Linux library",
)


def missing(*sonames: str) -> desktop_libraries.Loads:
    """The loader of a desktop where these libraries are not installed."""
    return lambda soname: soname not in sonames


@on_linux_with_qt
def test_a_missing_library_is_named_with_its_package_and_the_command_that_installs_it():
    out = io.StringIO()

    code = check_desktop_libraries(
        X11,
        platform="linux",
        loads=missing("libxcb-cursor.so.0", "libxcb-keysyms.so.1"),
        out=out,
    )

    assert code == EXIT_MISSING_LIBRARIES == 2
    message = out.getvalue()
    assert "libxcb-cursor.so.0  (Debian/Ubuntu package libxcb-cursor0)" in message
    assert "libxcb-keysyms.so.1  (Debian/Ubuntu package libxcb-keysyms1)" in message
    assert "libxcb-icccm" not in message  # only what is missing is named
    assert "sudo apt-get install -y libxcb-cursor0 libxcb-keysyms1\n" in message
    assert "sudo dnf install -y xcb-util-cursor xcb-util-keysyms\n" in message
    assert "sudo zypper install -y libxcb-cursor0 libxcb-keysyms1\n" in message
    assert "sudo pacman -S --needed xcb-util-cursor xcb-util-keysyms\n" in message


@on_linux_with_qt
def test_a_library_the_table_does_not_know_is_still_named():
    out = io.StringIO()
    needed = ["libxcb-icccm.so.4", "libfuture-x11.so.3"]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(desktop_libraries, "needed_libraries", lambda qt_dir: needed)
        code = check_desktop_libraries(X11, platform="linux", loads=missing(*needed), out=out)

    assert code == 2
    message = out.getvalue()
    assert "libfuture-x11.so.3  (package unknown)" in message
    assert "sudo apt-get install -y libxcb-icccm4\n" in message
    assert "apt-file search" in message


@on_linux_with_qt
def test_on_this_machine_every_library_is_there_and_the_check_passes():
    out = io.StringIO()
    assert check_desktop_libraries(X11, platform="linux", out=out) == 0
    assert out.getvalue() == ""


@on_linux_with_qt
def test_the_table_names_a_package_for_every_library_the_installed_xcb_plugin_needs():
    assert QT is not None
    needed = needed_libraries(QT)

    assert {"libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"} <= set(needed)
    assert not any(soname.startswith("libQt6") for soname in needed)  # PySide6 carries those
    assert [soname for soname in needed if soname not in PACKAGES] == []


@on_linux_with_qt
def test_the_needed_libraries_are_read_from_the_plugin_itself():
    assert QT is not None
    direct = elf_needed(QT / PLUGIN)
    assert "libQt6XcbQpa.so.6" in direct
    assert "libxcb-cursor.so.0" in direct


@pytest.mark.parametrize(
    "content", [b"#!/bin/sh\n", b"", b"\x7fELF\x02\x01" + bytes(10), b"\x7fELF\x02\x01" + bytes(80)]
)
def test_what_is_not_a_whole_elf_library_needs_nothing(tmp_path: Path, content: bytes):
    path = tmp_path / "libnothing.so"
    path.write_bytes(content)
    assert elf_needed(path) == []
    assert elf_needed(tmp_path / "libabsent.so") == []


@pytest.mark.parametrize(
    ("environ", "platform", "used"),
    [
        ({"DISPLAY": ":0"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb:nograb"}, "linux", True),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux", False),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "wayland"}, "linux", False),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux", False),
        (
            {"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "QT_QPA_PLATFORM": "xcb"},
            "linux",
            True,
        ),
        ({}, "linux", False),
        ({"DISPLAY": ":0"}, "darwin", False),
        ({"DISPLAY": ":0"}, "win32", False),
    ],
)
def test_the_check_runs_only_when_qt_will_start_on_x11(environ, platform, used):
    assert xcb_will_be_used(environ, platform) is used
    nothing_loads = missing(*PACKAGES)
    code = check_desktop_libraries(
        environ, platform=platform, loads=nothing_loads, out=io.StringIO()
    )
    assert code == (2 if used and QT is not None and (QT / PLUGIN).is_file() else 0)
