"""Output files and standard output: never over an input, and whole or not at all.

An output path that is an input of the run, or lies inside a folder the run
reads, is refused before anything is read. A file is written to a temporary
file beside it (hidden, so a batch folder listing never sees it) and renamed
onto it only when the writing succeeded: an interrupted or failed run leaves
the old file as it was. A path that exists and is not a regular file
(``/dev/null``, a FIFO) is written directly. Write errors (a full disk, a
closed pipe) are raised as :class:`OutputError` or ``BrokenPipeError``, never
mistaken for errors of the input.
"""

from __future__ import annotations

import codecs
import errno
import io
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TextIO


class OutputError(Exception):
    """An output cannot be written; the message names it and says why."""


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def refuse_overlap(outputs: Iterable[Path | None], inputs: Iterable[Path]) -> None:
    """Raise OutputError if an output is an input or lies inside a folder being read."""
    read = [(path, _real(path)) for path in inputs]
    for output in outputs:
        if output is None or _is_device(output):
            continue
        target = _real(output)
        for _, real in read:
            if target == real or (target.exists() and real.exists() and target.samefile(real)):
                raise OutputError(f"{output}: the run reads this file; write the output elsewhere")
        for given, real in read:
            if real.is_dir() and target.is_relative_to(real):
                raise OutputError(
                    f"{output}: inside {given}, which the run reads; write the output elsewhere"
                )


def _is_device(path: Path) -> bool:
    try:
        return not stat.S_ISREG(os.stat(path).st_mode) and not stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``, renamed onto it if the block succeeds.

    The block must only write: an OSError in it is reported as OutputError.
    """
    if _is_device(target):  # /dev/null, /dev/stdout, a FIFO: written as they are
        try:
            yield target
        except OSError as exc:
            raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
        return
    real = _real(target)
    if not real.parent.is_dir():
        raise OutputError(f"cannot write {target}: there is no folder {real.parent}")
    try:
        # Hidden, beside the target, and short: the target's name may be as long as a name
        # can be (255 bytes), and a temporary name longer than it would fail.
        fd, name = tempfile.mkstemp(prefix=f".{real.name[:40]}.", suffix=".tmp", dir=real.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {target}: {exc.strerror}") from None
    temp = Path(name)
    try:
        os.fchmod(fd, _mode(real))
        os.close(fd)
        yield temp
        os.replace(temp, real)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {exc.strerror or exc}") from None
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _mode(real: Path) -> int:
    """The mode the file has now, or what a new file gets under the umask."""
    try:
        return stat.S_IMODE(os.stat(real).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


class Guarded:
    """A text stream whose write errors name it (OutputError); a closed pipe is BrokenPipeError.

    Where the stream writes UTF-8 to a byte buffer, newlines as they are, text already
    encoded as the stream would encode it may go to the buffer (:meth:`write_bytes`): a
    worker process encodes its findings, and this process passes the bytes on unread.
    """

    def __init__(self, stream: TextIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.codec = _codec(stream)

    def _do(self, call: str, *args: str) -> None:
        self._guard(getattr(self.stream, call), *args)

    def _guard(self, call: Callable[..., object], *args: str | bytes) -> None:
        try:
            call(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            if exc.errno == errno.EPIPE:
                raise BrokenPipeError(exc.errno, exc.strerror) from None
            raise OutputError(f"cannot write {self.name}: {exc.strerror or exc}") from None

    def write(self, text: str) -> None:
        """Write, or raise OutputError / BrokenPipeError."""
        self._do("write", text)

    def write_bytes(self, data: bytes) -> None:
        """Write text encoded in :attr:`codec` (not None), after the text written before it."""
        self._do("flush")
        self._guard(self.stream.buffer.write, data)

    def flush(self) -> None:
        """Flush, or raise OutputError / BrokenPipeError."""
        self._do("flush")

    def close(self) -> None:
        """Flush and close, or raise OutputError / BrokenPipeError."""
        self._do("close")


def _codec(stream: TextIO) -> tuple[str, str] | None:
    """(encoding, errors) of a text stream whose text could be written to its buffer encoded
    by ``str.encode`` with them, byte for byte as the stream writes it: UTF-8 (no state, no
    mark), newlines not translated, and nothing flushed line by line (a terminal).

    A text stream does not tell how it writes a newline: as Python opens standard output
    and the files opened here, as ``os.linesep``."""
    if not isinstance(stream, io.TextIOWrapper) or os.linesep != "\n" or stream.line_buffering:
        return None
    try:
        name = codecs.lookup(stream.encoding).name
    except LookupError:
        return None
    return (name, stream.errors) if name == "utf-8" else None


@contextmanager
def open_output(target: Path | None) -> Iterator[Guarded]:
    """Standard output, or ``target`` written atomically, as a guarded text stream."""
    if target is None:
        out = Guarded(sys.stdout, "standard output")
        yield out
        out.flush()
        return
    with atomic_path(target) as path:
        out = Guarded(path.open("w", encoding="utf-8", errors="backslashreplace"), str(target))
        try:
            yield out
            out.close()
        finally:
            with suppress(OSError):  # already reported, or the run failed before
                out.stream.close()
