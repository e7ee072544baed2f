"""The ``pos`` console script: the core's command line, able to open the till's window.

``pos.cli`` never imports the UI; this module gives it the function that does, and
starts the card-payment machinery (the demo's simulated terminal, or the configured
one) and the receipt printer (the demo's simulated one, or the configured one) for the
window to run. It also hands over the window's part of ``--self-test``.

Plain ``pos`` and ``pos --demo`` show the sign-in screen first (``ui.first_window``) and
load the rest after it: this module imports nothing heavy at the top.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from ui.desktop_libraries import check_desktop_libraries

if TYPE_CHECKING:
    from pos.bootstrap import Till
    from pos.runtime.payments import PaymentRuntime
    from pos.runtime.printing import TillPrinter
    from pos.runtime.self_test import PaidSale, SelfTestShop

log = logging.getLogger(__name__)

FIRST_WINDOW_ARGUMENTS = ([], ["--demo"])
"""The command lines that open the till on its sign-in screen before the rest loads."""


def till_devices(till: Till, demo: bool) -> tuple[PaymentRuntime | None, TillPrinter | None]:
    """Card payments (None: off, said in the log) and the receipt printer for the window,
    not yet started; the till's scale attached."""
    from pos.bootstrap import attach_scale
    from pos.runtime.payments import PaymentsNotConfigured, payment_runtime
    from pos.runtime.printing import till_printer
    from pos.runtime.scale import till_scale

    runtime: PaymentRuntime | None
    try:
        runtime = payment_runtime(till, demo=demo)
    except PaymentsNotConfigured as reason:
        log.warning("card payments are off: %s", reason)
        runtime = None
    printer = till_printer(till.settings, demo=demo)  # the demo's simulator serves already
    attach_scale(till, till_scale(till.settings.scale_device, till.settings.scale_baud, demo=demo))
    return runtime, printer


def open_window(till: Till, demo: bool) -> int:
    missing = check_desktop_libraries()  # before Qt, which would abort without saying why
    if missing:
        return missing
    from ui.app import run_till  # Qt loads only when a window is wanted

    runtime, printer = till_devices(till, demo)
    return run_till(till, demo=demo, runtime=runtime, printer=printer)  # starts and stops them


def sell_in_window(shop: SelfTestShop) -> list[PaidSale]:
    """The self-test's sales, rung up in the till's window (off-screen unless a platform
    is chosen)."""
    from pos.runtime.self_test import SelfTestFailed

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before the libraries' check
    if check_desktop_libraries():
        raise SelfTestFailed("Qt's platform plugin cannot start: see the libraries above")
    from ui.self_test import sell_in_window as sell  # Qt loads only when a window is wanted

    return sell(shop)


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s")
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments in FIRST_WINDOW_ARGUMENTS:
        missing = check_desktop_libraries()  # before Qt, which would abort without saying why
        if missing:
            return missing
        from ui.first_window import run_from_sign_in  # Qt and the sign-in screen only

        return run_from_sign_in(arguments, demo=arguments == ["--demo"])
    from pos.cli import main as cli_main

    return cli_main(arguments, open_window=open_window, sell_in_window=sell_in_window)


if __name__ == "__main__":
    raise SystemExit(main())
