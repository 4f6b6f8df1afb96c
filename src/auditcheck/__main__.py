"""``python -m auditcheck`` and the ``auditcheck`` command."""

import signal
import sys


def _interrupted(_signum: int, _frame: object) -> None:
    sys.stderr.write("auditcheck: interrupted\n")
    sys.exit(130)


def entry() -> None:
    """Start the command line; Ctrl-C while its modules load also ends with one line, 130."""
    signal.signal(signal.SIGINT, _interrupted)
    from auditcheck.cli import main

    signal.signal(signal.SIGINT, signal.default_int_handler)
    main()


if __name__ == "__main__":
    entry()
