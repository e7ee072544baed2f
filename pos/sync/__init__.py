"""Offline sales going home: the push of the till's outbox to the central store.

Imports services and store, never Qt (the runtime and the front ends call in here).
"""
