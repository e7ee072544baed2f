"""The ``pos`` console script: the core's command line, able to open the till's window.

``pos.cli`` never imports the UI; this module gives it the function that does, and
starts the card-payment machinery (the demo's simulated terminal, or the configured
one) and the receipt printer (the demo's simulated one, or the configured one) for the
window to run. It also hands over the window's part of ``--self-test``.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from pos.bootstrap import Till, attach_scale
from pos.cli import main as cli_main
from pos.runtime.payments import PaymentRuntime, PaymentsNotConfigured, payment_runtime
from pos.runtime.printing import till_printer
from pos.runtime.scale import till_scale
from pos.runtime.self_test import PaidSale, SelfTestFailed, SelfTestShop
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
    attach_scale(till, till_scale(till.settings.scale_device, till.settings.scale_baud, demo=demo))
    return run_till(till, demo=demo, runtime=runtime, printer=printer)  # starts and stops them


def sell_in_window(shop: SelfTestShop) -> list[PaidSale]:
    """The self-test's sales, rung up in the till's window (off-screen unless a platform
    is chosen)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the libraries' check
    if check_desktop_libraries():
        raise SelfTestFailed("Qt's platform plugin cannot start: see the libraries above")
    from ui.self_test import sell_in_window as sell  # Qt loads only when a window is wanted

    return sell(shop)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    return cli_main(
        sys.argv[1:] if argv is None else argv,
        open_window=open_window,
        sell_in_window=sell_in_window,
    )


if __name__ == "__main__":
    raise SystemExit(main())
