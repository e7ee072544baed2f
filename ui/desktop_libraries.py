"""Before Qt starts on an X11 desktop: the system libraries its xcb plugin needs.

PySide6 carries Qt itself, but Qt's X11 platform plugin (``libqxcb.so``) links against
the desktop's own libraries. When one is missing, Qt prints "Could not load the Qt
platform plugin xcb" and aborts the process, and its hint names ``libxcb-cursor0`` even
when another library is the one missing. So the launcher asks first: it reads which
libraries the plugin and the Qt libraries it pulls in need (their ELF ``DT_NEEDED``
entries), tries to load each one the system must provide, and names every one missing
with the package that brings it and the command that installs it.

Nothing here imports Qt: this runs before Qt is loaded.
"""

from __future__ import annotations

import ctypes
import importlib.util
import mmap
import os
import struct
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import NamedTuple, TextIO

EXIT_MISSING_LIBRARIES = 2
PLUGIN = Path("plugins") / "platforms" / "libqxcb.so"


class Packages(NamedTuple):
    """The package that installs a library, per distribution family."""

    debian: str
    fedora: str
    opensuse: str
    arch: str


PACKAGES: dict[str, Packages] = {
    # soname: Debian/Ubuntu, Fedora, openSUSE, Arch
    "libxcb-cursor.so.0": Packages(
        "libxcb-cursor0", "xcb-util-cursor", "libxcb-cursor0", "xcb-util-cursor"
    ),
    "libxcb-icccm.so.4": Packages("libxcb-icccm4", "xcb-util-wm", "libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": Packages(
        "libxcb-keysyms1", "xcb-util-keysyms", "libxcb-keysyms1", "xcb-util-keysyms"
    ),
    "libxcb-image.so.0": Packages(
        "libxcb-image0", "xcb-util-image", "libxcb-image0", "xcb-util-image"
    ),
    "libxcb-render-util.so.0": Packages(
        "libxcb-render-util0", "xcb-util-renderutil", "libxcb-render-util0", "xcb-util-renderutil"
    ),
    "libxcb-util.so.1": Packages("libxcb-util1", "xcb-util", "libxcb-util1", "xcb-util"),
    "libxcb.so.1": Packages("libxcb1", "libxcb", "libxcb1", "libxcb"),
    "libxcb-randr.so.0": Packages("libxcb-randr0", "libxcb", "libxcb-randr0", "libxcb"),
    "libxcb-render.so.0": Packages("libxcb-render0", "libxcb", "libxcb-render0", "libxcb"),
    "libxcb-shape.so.0": Packages("libxcb-shape0", "libxcb", "libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": Packages("libxcb-shm0", "libxcb", "libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": Packages("libxcb-sync1", "libxcb", "libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": Packages("libxcb-xfixes0", "libxcb", "libxcb-xfixes0", "libxcb"),
    "libxcb-xkb.so.1": Packages("libxcb-xkb1", "libxcb", "libxcb-xkb1", "libxcb"),
    "libxcb-xinerama.so.0": Packages("libxcb-xinerama0", "libxcb", "libxcb-xinerama0", "libxcb"),
    "libxcb-xinput.so.0": Packages("libxcb-xinput0", "libxcb", "libxcb-xinput0", "libxcb"),
    "libX11.so.6": Packages("libx11-6", "libX11", "libX11-6", "libx11"),
    "libX11-xcb.so.1": Packages("libx11-xcb1", "libX11-xcb", "libX11-xcb1", "libx11"),
    "libxkbcommon.so.0": Packages("libxkbcommon0", "libxkbcommon", "libxkbcommon0", "libxkbcommon"),
    "libxkbcommon-x11.so.0": Packages(
        "libxkbcommon-x11-0", "libxkbcommon-x11", "libxkbcommon-x11-0", "libxkbcommon-x11"
    ),
    "libGL.so.1": Packages("libgl1", "libglvnd-glx", "libglvnd", "libglvnd"),
    "libEGL.so.1": Packages("libegl1", "libglvnd-egl", "libglvnd", "libglvnd"),
    "libOpenGL.so.0": Packages("libopengl0", "libglvnd-opengl", "libglvnd", "libglvnd"),
    "libfontconfig.so.1": Packages("libfontconfig1", "fontconfig", "libfontconfig1", "fontconfig"),
    "libfreetype.so.6": Packages("libfreetype6", "freetype", "libfreetype6", "freetype2"),
    "libdbus-1.so.3": Packages("libdbus-1-3", "dbus-libs", "libdbus-1-3", "dbus"),
    "libglib-2.0.so.0": Packages("libglib2.0-0", "glib2", "libglib-2_0-0", "glib2"),
    "libgthread-2.0.so.0": Packages("libglib2.0-0", "glib2", "libgthread-2_0-0", "glib2"),
    "libz.so.1": Packages("zlib1g", "zlib", "libz1", "zlib"),
    "libzstd.so.1": Packages("libzstd1", "libzstd", "libzstd1", "zstd"),
    "libstdc++.so.6": Packages("libstdc++6", "libstdc++", "libstdc++6", "gcc-libs"),
    "libgcc_s.so.1": Packages("libgcc-s1", "libgcc", "libgcc_s1", "gcc-libs"),
    "libc.so.6": Packages("libc6", "glibc", "glibc", "glibc"),
    "libm.so.6": Packages("libc6", "glibc", "glibc", "glibc"),
    "libdl.so.2": Packages("libc6", "glibc", "glibc", "glibc"),
    "libpthread.so.0": Packages("libc6", "glibc", "glibc", "glibc"),
    "librt.so.1": Packages("libc6", "glibc", "glibc", "glibc"),
}
"""The one table of which package brings which library. ``tests/unit`` checks that every
library the installed Qt's xcb plugin needs is in it."""

INSTALL = (
    ("Debian/Ubuntu", "sudo apt-get install -y", 0),
    ("Fedora", "sudo dnf install -y", 1),
    ("openSUSE", "sudo zypper install -y", 2),
    ("Arch", "sudo pacman -S --needed", 3),
)

Loads = Callable[[str], bool]
"""Whether the system's dynamic loader finds a library by its soname."""


def can_load(soname: str) -> bool:
    """Ask the dynamic loader itself: the same search (and the library's own needs) as Qt's."""
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def xcb_will_be_used(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> bool:
    """Whether Qt is about to start on X11: Linux, an X display, no other platform chosen."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return False
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.split(":")[0].split(";")[0] == "xcb"
    # Unset on a Wayland session: Qt takes its Wayland plugin, which needs none of these.
    return not environ.get("WAYLAND_DISPLAY")


def qt_directory() -> Path | None:
    """Where the installed PySide6 keeps its Qt (``lib/``, ``plugins/``); found without
    importing it."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def needed_libraries(qt_dir: Path) -> list[str]:
    """The system libraries Qt's xcb plugin needs, directly or through the Qt libraries
    it pulls in (which PySide6 carries in ``qt_dir/lib``), in the order first met."""
    bundled = qt_dir / "lib"
    seen: set[str] = set()
    system: list[str] = []
    pending = [qt_dir / PLUGIN]
    while pending:
        for soname in elf_needed(pending.pop(0)):
            if soname in seen:
                continue
            seen.add(soname)
            if (bundled / soname).is_file():
                pending.append(bundled / soname)
            elif not soname.startswith(("ld-linux", "ld64")):  # the loader running us
                system.append(soname)
    return system


def missing_libraries(needed: Iterable[str], loads: Loads | None = None) -> list[str]:
    loads = loads or can_load
    return [soname for soname in needed if not loads(soname)]


def missing_message(missing: list[str]) -> str:
    """What to tell the one who ran the till: each library, its package, the command."""
    known = [PACKAGES[soname] for soname in missing if soname in PACKAGES]
    lines = [
        "Kasa cannot open its window: Qt's X11 (xcb) platform plugin needs system "
        "libraries that are not installed:",
        "",
    ]
    for soname in missing:
        packages = PACKAGES.get(soname)
        where = f"Debian/Ubuntu package {packages.debian}" if packages else "package unknown"
        lines.append(f"  {soname}  ({where})")
    if known:
        lines += ["", "Install them with:"]
        for family, command, column in INSTALL:
            names = " ".join(dict.fromkeys(packages[column] for packages in known))
            lines.append(f"  {family + ':':15} {command} {names}")
    unknown = [soname for soname in missing if soname not in PACKAGES]
    if unknown:
        lines += [
            "",
            "Find the package of the others with `apt-file search`, `dnf provides`, "
            "`zypper search --provides` or `pacman -F`: " + ", ".join(unknown),
        ]
    lines += ["", "Then run `make run` again."]
    return "\n".join(lines)


def check_desktop_libraries(
    environ: Mapping[str, str] = os.environ,
    *,
    platform: str = sys.platform,
    qt_dir: Path | None = None,
    loads: Loads | None = None,
    out: TextIO | None = None,
) -> int:
    """0 when Qt can start (or will not use xcb); else says what to install and answers
    ``EXIT_MISSING_LIBRARIES``."""
    if not xcb_will_be_used(environ, platform):
        return 0
    qt_dir = qt_dir or qt_directory()
    if qt_dir is None or not (qt_dir / PLUGIN).is_file():
        return 0  # no plugin to ask about: Qt says what it has to say
    missing = missing_libraries(needed_libraries(qt_dir), loads)
    if not missing:
        return 0
    print(missing_message(missing), file=out or sys.stderr)
    return EXIT_MISSING_LIBRARIES


# -- the ELF's DT_NEEDED entries ----------------------------------------------------------


class _Layout(NamedTuple):
    """Where a 32- or 64-bit ELF keeps what is read here."""

    section_table: tuple[str, int]  # the section table's offset: format, position
    section_sizes: int  # e_shentsize, then e_shnum, as two 16-bit fields
    section: str  # sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, ...
    dynamic: str  # d_tag, d_val


_LAYOUTS = {
    1: _Layout(("I", 0x20), 0x2E, "IIIIIIIIII", "iI"),
    2: _Layout(("Q", 0x28), 0x3A, "IIQQQQIIQQ", "qQ"),
}
_SHT_DYNAMIC = 6
_DT_NEEDED = 1


def elf_needed(path: Path) -> list[str]:
    """The sonames a shared library names as needed (its dynamic section's DT_NEEDED).

    Reads 32- and 64-bit ELF of either byte order; anything else, or a file cut short,
    needs nothing: the check must never be what stops the till from starting.
    """
    try:
        with path.open("rb") as file:
            if file.read(4) != b"\x7fELF":
                return []
            # Mapped, not read: only the headers and the dynamic section are touched.
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _needed(data)
    except (OSError, ValueError, IndexError, struct.error):
        return []


def _needed(data: mmap.mmap) -> list[str]:
    if data[4] not in _LAYOUTS or data[5] not in (1, 2):
        return []
    layout = _LAYOUTS[data[4]]
    order = "<" if data[5] == 1 else ">"
    (table,) = struct.unpack_from(order + layout.section_table[0], data, layout.section_table[1])
    size, count = struct.unpack_from(order + "HH", data, layout.section_sizes)
    sections = [
        struct.unpack_from(order + layout.section, data, table + i * size) for i in range(count)
    ]
    step = struct.calcsize(order + layout.dynamic)
    needed: list[str] = []
    for _name, kind, _flags, _address, offset, length, link, *_rest in sections:
        if kind != _SHT_DYNAMIC:
            continue
        strings = sections[link][4]
        for at in range(offset, offset + length, step):
            tag, value = struct.unpack_from(order + layout.dynamic, data, at)
            if tag == 0:
                break
            if tag == _DT_NEEDED:
                name = data[strings + value : data.find(b"\0", strings + value)]
                needed.append(name.decode("ascii", "replace"))
    return needed
