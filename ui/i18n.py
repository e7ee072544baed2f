"""The till's own words in the cashier's language (gettext catalogues read with Babel).

Texts are written in English in the code, wrapped in ``_()``; the catalogues under
``resources/locale/<lang>/LC_MESSAGES/kasa.po`` give each language's text. They are
read as ``.po`` at start-up, so there is no compile step. Messages of the core
(stock, coupons, payments) come from ``pos.domain.messages`` instead. Qt's own words
(a message box's "Yes", the file dialog's "Open") come from the translations PySide6
ships, switched with the language.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources

from babel.messages.pofile import read_po
from PySide6.QtCore import QCoreApplication, QLibraryInfo, QTranslator

from pos.domain.locales import DEFAULT_LOCALE, LOCALES

DOMAIN = "kasa"

_catalogues: dict[str, dict[str, str]] = {}
_language = DEFAULT_LOCALE
_listeners: list[Callable[[], None]] = []
_qt_translator: QTranslator | None = None


def _catalogue(language: str) -> dict[str, str]:
    if language not in _catalogues:
        # One step at a time: a bundle's resources are a MultiplexedPath, whose joinpath
        # takes a single name before Python 3.12.
        path = (
            resources.files("resources")
            .joinpath("locale")
            .joinpath(language)
            .joinpath("LC_MESSAGES")
            .joinpath(f"{DOMAIN}.po")
        )
        texts: dict[str, str] = {}
        if path.is_file():
            with path.open("rb") as source:
                for message in read_po(source, locale=language):
                    if message.id and isinstance(message.id, str) and message.string:
                        texts[message.id] = str(message.string)
        _catalogues[language] = texts
    return _catalogues[language]


def _(text: str) -> str:
    """``text`` (English) in the till's current language."""
    return _catalogue(_language).get(text) or text


def language() -> str:
    return _language


def set_language(language: str) -> None:
    """Switch the till's language; views retranslate through ``on_language_changed``."""
    global _language
    if language not in LOCALES:
        raise ValueError(f"unsupported language {language!r}")
    _language = language
    _catalogue(language)
    _install_qt_translations(language)
    for listener in list(_listeners):
        listener()


def _install_qt_translations(language: str) -> None:
    """Qt's own dialogs and buttons in ``language``; English is Qt's own."""
    global _qt_translator
    app = QCoreApplication.instance()
    if app is None:
        return  # no Qt yet: the application's start sets the language again
    if _qt_translator is not None:
        app.removeTranslator(_qt_translator)
        _qt_translator = None
    translator = QTranslator(app)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if translator.load(f"qtbase_{language}", folder):
        app.installTranslator(translator)
        _qt_translator = translator


def qt_translated() -> bool:
    """Whether Qt's own words are in the till's language (its translations were found)."""
    return _qt_translator is not None


def on_language_changed(listener: Callable[[], None]) -> Callable[[], None]:
    """Call ``listener`` after every switch; returns a function that stops it."""
    _listeners.append(listener)
    return lambda: _listeners.remove(listener) if listener in _listeners else None


def other_language() -> str:
    return next(code for code in LOCALES if code != _language)


def N_(text: str) -> str:
    """Marks ``text`` for the catalogues; it is translated later, where it is shown."""
    return text
