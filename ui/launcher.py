"""The ``pos`` console script: the core's command line, able to open the till's window.

``pos.cli`` never imports the UI; this module gives it the function that does, and
starts the card-payment machinery (the demo's simulated terminal, or the configured
one) and the receipt printer (the demo's simulated one, or the configured one) for the
window to run.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

from pos.bootstrap import Till
from pos.cli import main as cli_main
from pos.runtime.payments import PaymentRuntime, PaymentsNotConfigured, payment_runtime
from pos.runtime.printing import till_printer
from ui.desktop_libraries import check_desktop_libraries

log = logging.getLogger(__name__)


def open_window(till: Till, demo: bool) -> int:
    missing = check_desktop_libraries()  # before Qt, which would abort without saying why
    if missing:
        return missing
    from ui.app import run_till  # Qt loads only when a window is wanted

    runtime: PaymentRuntime | None
    try:
        runtime = payment_runtime(till, demo=demo)
    except PaymentsNotConfigured as reason:
        log.warning("card payments are off: %s", reason)
        runtime = None
    printer = till_printer(till.settings, demo=demo)  # the demo's simulator serves already
    return run_till(till, demo=demo, runtime=runtime, printer=printer)  # starts and stops them


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    return cli_main(sys.argv[1:] if argv is None else argv, open_window=open_window)


if __name__ == "__main__":
    raise SystemExit(main())
