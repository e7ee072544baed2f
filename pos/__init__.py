"""Kasa: the point-of-sale core. Nothing under this package imports Qt."""

__version__ = "0.1.0"
"""The release: pyproject.toml reads it from here, ``pos --version`` and the bundle print it."""
