"""The bundle's program: the ``pos`` command line with the till's window (``ui.launcher``).

PyInstaller starts from a script, not from a console-script entry point; this is that
script, and nothing more, so the bundle runs exactly what ``pos`` runs.
"""

from ui.launcher import main

raise SystemExit(main())
