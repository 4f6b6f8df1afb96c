"""A progress bar on stderr for long runs at a terminal; nothing otherwise.

tqdm draws it only after two seconds (``delay``), so short runs stay clean, and
only when stderr is a terminal and ``--quiet`` is not given, so CI logs and
redirected output never see it. It is closed however the run ends (Ctrl-C
included), so no half-drawn bar is left on the terminal.
"""

from __future__ import annotations

from types import TracebackType

from tqdm import tqdm


class Progress:
    """Counts checked records; a context manager so the bar is always closed."""

    def __init__(self, enabled: bool) -> None:
        self.bar = tqdm(unit=" 条记录", delay=2.0, disable=not enabled, leave=False)

    def advance(self, records: int) -> None:
        """Count ``records`` more records."""
        if records:
            self.bar.update(records)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.bar.close()
