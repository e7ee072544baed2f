"""The use cases. Each opens one unit of work, runs one transaction, returns a typed result.

The GUI, the CLI and the tests all call these same functions.
"""
