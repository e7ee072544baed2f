"""Keeping the till's replica in step with the central store, and its offline sales
going home (DESIGN.md §5). Imports services and store, never Qt: the runtime and the
front ends call in here."""
