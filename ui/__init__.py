"""The PySide6 till and back office. Talks to ``pos.services`` only."""
