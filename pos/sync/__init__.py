"""Keeping the till's replica in step with the central store (DESIGN.md §5). No Qt here."""
