"""The till's window, in rooms by concern (qutebrowser's split of its browser):
``window`` composes them and owns the keys; each other module is one concern of the sale."""

from ui.till.window import TillWindow

__all__ = ["TillWindow"]
