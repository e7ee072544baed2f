"""Kasa: the point-of-sale core. Nothing under this package imports Qt."""
