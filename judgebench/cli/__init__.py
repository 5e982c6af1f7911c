"""The ``judgebench`` command line (click), one module per command family.

``app`` holds the group, the error boundary and the helpers the commands share; each command
module imports it and registers its commands on the group when imported, which happens here and
only here, so no module of this package imports another command module (no cycle).
"""

from __future__ import annotations

from judgebench.cli import gate, imports, merge, report, rubric, run, validate
from judgebench.cli.app import add_exit_code_footers, main

__all__ = ["main"]

_COMMAND_MODULES = (gate, imports, merge, report, rubric, run, validate)  # imported for their registrations
add_exit_code_footers(main)  # after every registration: no command's help lacks the footer
