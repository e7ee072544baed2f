"""`pos --demo` on a desktop that lacks a library Qt's X11 plugin needs: a clear error
naming the package to install, exit code 2, and Qt never started (it would abort)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ui.app
from ui import desktop_libraries, launcher


def test_the_till_names_the_missing_package_and_exits_before_qt_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    if desktop_libraries.check_desktop_libraries({"DISPLAY": ":0"}, platform="linux") != 0:
        pytest.skip("this machine itself lacks a library of Qt's xcb plugin")
    monkeypatch.setenv("POS_SETTINGS_FILE", str(tmp_path / "settings.toml"))
    monkeypatch.setenv("POS_DATABASE_URL", f"sqlite:///{tmp_path / 'kasa.sqlite3'}")
    # --demo keeps its shop in the data directory: this test's own, not the user's.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(
        desktop_libraries, "can_load", lambda soname: soname != "libxcb-cursor.so.0"
    )

    def qt_started(*args: object, **kwargs: object) -> int:
        raise AssertionError("Qt started although a library it needs is missing")

    monkeypatch.setattr(ui.app, "run_till", qt_started)

    code = launcher.main(["--demo"])

    assert code == 2
    error = capsys.readouterr().err
    assert "libxcb-cursor.so.0  (Debian/Ubuntu package libxcb-cursor0)" in error
    assert "sudo apt-get install -y libxcb-cursor0" in error
