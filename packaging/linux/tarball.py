"""Pack the built bundle for Linux shops: ``dist/kasa-<version>-linux-<machine>.tar.gz``.

The tarball unpacks into one folder, ``kasa-<version>/``, holding the bundle (``kasa/``),
``install.sh``, the desktop entry and the icons; ``./install.sh`` puts them in place
(see its header). ``make dist`` runs this after PyInstaller::

    .venv/bin/python packaging/linux/tarball.py
"""

from __future__ import annotations

import platform
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
BUNDLE = ROOT / "dist" / "kasa"


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from pos import __version__

    return __version__


def tarball_path(release: str, machine: str | None = None) -> Path:
    return ROOT / "dist" / f"kasa-{release}-linux-{machine or platform.machine()}.tar.gz"


def contents(top: str) -> list[tuple[Path, str]]:
    """(file on disk, name in the tarball) for everything but the bundle's own folder."""
    icons = ROOT / "resources" / "icons"
    return [
        (HERE / "install.sh", f"{top}/install.sh"),
        (HERE / "kasa.desktop", f"{top}/kasa.desktop"),
        *((png, f"{top}/icons/{png.name}") for png in sorted(icons.glob("kasa-*.png"))),
    ]


def build(bundle: Path = BUNDLE) -> Path:
    if not (bundle / "kasa").is_file():
        raise SystemExit(f"no bundle at {bundle}: run `make dist`")
    release = version()
    top = f"kasa-{release}"
    target = tarball_path(release)
    partial = target.with_name(target.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=f"{top}/kasa")  # symbolic links stay links
        for path, name in contents(top):
            tar.add(path, arcname=name)
    partial.replace(target)
    return target


if __name__ == "__main__":
    made = build()
    print(f"{made.relative_to(ROOT)}: {made.stat().st_size / 1e6:.0f} MB")
