"""Pure shop rules: no I/O, no database, no Qt."""
