"""The use cases. Each opens one unit of work, runs one transaction, returns a typed result.

The GUI, the CLI and the tests all call these same functions. ``UnitOfWork`` is what each
takes first: the window names it from here, never from the store.
"""

from pos.store.uow import UnitOfWork as UnitOfWork
