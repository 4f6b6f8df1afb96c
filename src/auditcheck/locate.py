"""YAML text → plain Python data plus an index of where every value stands.

This is the one place that knows about YAML positions. PyYAML's composer (the
libyaml one when available) gives every node its start mark; we walk the node
tree ourselves so that we can, in one pass, build plain data, record
``path → (line, column)``, reject duplicate keys and bound alias expansion.
Lines and columns are 1-based, as editors and CI annotations count them.
"""

from __future__ import annotations

import bisect
import difflib
import os
import re
import stat
import sys
import unicodedata
import warnings
from collections.abc import Iterator
from dataclasses import astuple, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import yaml
from pydantic import BaseModel, ValidationError
from yaml.constructor import ConstructorError, SafeConstructor

from auditcheck.records.model import RENAMED

try:  # libyaml is several times faster; PyYAML falls back to pure Python without it.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

PathKey = tuple[str | int, ...]

# Bounds that keep hostile files (alias bombs, absurd nesting, huge files) from exhausting memory.
MAX_NODES = 200_000
MAX_DEPTH = 64
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
# No figure of a budget comes near (10^15 万元); larger ones are typos or units, and sums of
# them could overflow to infinity, where a comparison silently fails and a finding is lost.
MAX_FIGURE = 1e15
TOO_LARGE = "larger than 10^15: no figure is this large; check the number and its unit"


def too_large(value: Any) -> bool:
    """A number beyond :data:`MAX_FIGURE` (booleans and text are not numbers here)."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    return numeric and abs(value) > MAX_FIGURE


@dataclass(frozen=True, init=False)
class Position:
    """A 1-based line and column in a file."""

    line: int
    col: int
    place = ""  # a line of text is no cell (see CellPosition)
    file = ""  # the document's own file

    def __init__(self, line: int, col: int) -> None:
        # A frozen dataclass's own __init__ sets each field through object.__setattr__, twice
        # what filling the instance's dict costs (a finding's position, each record's anchor).
        fields = self.__dict__
        fields["line"] = line
        fields["col"] = col


@dataclass(frozen=True)
class CellPosition(Position):
    """A cell of a workbook: its row and column, and its name, shown instead of them.

    ``file`` is set when a record is read from several files (a 绩效目标表 joined to
    its 自评表), so that each value names the workbook it came from.
    """

    place: str = ""  # 自评表!E12
    file: str = ""


class LocatedError(Exception):
    """Bad input, with the place it was found. Printed as ``file:line:col: field: message``.

    ``place`` names a spreadsheet cell (``Sheet1!E12``); it is printed instead of
    line and column, which stay set for formats that need numbers (SARIF, GitHub).
    """

    def __init__(
        self, file: str, line: int, col: int, field: str, message: str, place: str = ""
    ) -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.col = col
        self.field = field
        self.message = message
        self.place = place

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (--jobs) as data; Exception's default needs one argument.
        args = (self.file, self.line, self.col, self.field, self.message, self.place)
        return (LocatedError, args)

    def __str__(self) -> str:
        field = f" {self.field}:" if self.field else ""
        where = self.place or f"{self.line}:{self.col}"
        return f"{self.file}:{where}:{field} {self.message}"

    @property
    def short(self) -> str:
        """``file:line`` (or ``file:Sheet1!E12``), as another message names this place."""
        return f"{self.file}:{self.place or self.line}"


@dataclass(frozen=True)
class Note:
    """Something in the input that is not read and is not an error (a README beside records)."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: note: {self.message}"


@dataclass
class Document:
    """A loaded YAML document: its data and where each value stands.

    ``prefix`` makes a view of part of a file (one rule of a rules file): paths
    given to :meth:`position` are relative to it, and positions stay in the file.
    """

    file: str
    data: Any
    positions: dict[PathKey, Position] = field(default_factory=dict)
    prefix: PathKey = ()

    def position(self, path: PathKey) -> Position:
        """Where ``path`` stands; falls back to the nearest enclosing value, then to 1:1."""
        full = (*self.prefix, *path)
        while full:
            pos = self.positions.get(full)
            if pos is not None:
                return pos
            full = full[:-1]
        return self.positions.get((), Position(1, 1))

    def line(self, path: PathKey) -> int:
        """The line of ``path`` (see :meth:`position`)."""
        return self.position(path).line

    def part(self, path: PathKey, data: Any) -> Document:
        """A view of the value at ``path`` (whose data is ``data``)."""
        return Document(self.file, data, self.positions, (*self.prefix, *path))

    def error(self, path: PathKey, message: str) -> LocatedError:
        """A located error about the value at ``path``."""
        pos = self.position(path)
        field = dotted((*self.prefix, *path))
        return LocatedError(pos.file or self.file, pos.line, pos.col, field, message, pos.place)

    def short(self, path: PathKey) -> str:
        """``file:line`` of ``path`` (``file.xlsx:自评表!E12`` for a cell), as messages cite it."""
        pos = self.position(path)
        return f"{pos.file or self.file}:{pos.place or pos.line}"


@lru_cache(maxsize=4096)  # a finding's field, a record's id: the same few paths again and again
def dotted(path: PathKey) -> str:
    """``("subitems", 0, "spent")`` → ``subitems[0].spent``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_constructor = SafeConstructor()
_PLAIN_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_NUMBER_TAGS = {"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
_STR_TAG = "tag:yaml.org,2002:str"
# The numbers YAML 1.2's core schema reads, which every YAML reader reads alike. PyYAML
# follows YAML 1.1, which also reads 010 as octal 8, 0x10 as 16, 1:30 as 90 and 1_000 as
# 1000: a figure silently changed, or a form no other input accepts.
_DECIMAL = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_NOT_A_NUMBER = re.compile(r"[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")
# PyYAML also ends a line at U+0085, U+2028 and U+2029, which editors show inside a line.
_YAML_ONLY_BREAKS = re.compile("[\x85\u2028\u2029]")
_EDITOR_BREAK = re.compile(r"\r\n|\r|\n")


def _yaml11_number(raw: str, value: Any) -> str | None:
    """Why a number written ``raw`` is refused (None: a plain decimal, read as written)."""
    if _NOT_A_NUMBER.fullmatch(raw) or (
        _DECIMAL.fullmatch(raw) and not _LEADING_ZERO.fullmatch(raw)
    ):
        return None
    if _LEADING_ZERO.fullmatch(raw):
        digits = raw.replace("_", "").lstrip("+")
        sign = "-" if digits.startswith("-") else ""
        plain = sign + (digits.lstrip("-").lstrip("0") or "0")
        why = f"a leading 0 makes YAML read {raw} as the octal number {value}"
        return f"{why}; write {plain} (plain decimal digits), or put text in quotes"
    if "_" in raw and _DECIMAL.fullmatch(raw.replace("_", "")):
        return f"digits grouped with _ are not read; write {raw.replace('_', '')}"
    kind = "a base-60 number" if ":" in raw else "a hexadecimal or binary number"
    return (
        f"YAML reads {raw} as {kind} ({value}); write the figure in plain decimal digits, "
        "or put text in quotes"
    )


class _Lines:
    """Line and column of a YAML mark as an editor counts them: 1-based, and lines end only
    at \\n, \\r\\n or \\r (PyYAML also ends them at U+0085, U+2028 and U+2029)."""

    def __init__(self, text: str) -> None:
        self.starts: list[int] | None = None
        if _YAML_ONLY_BREAKS.search(text):
            self.starts = [0, *(m.end() for m in _EDITOR_BREAK.finditer(text))]

    def position(self, mark: Any) -> Position:
        if self.starts is None:
            return Position(mark.line + 1, mark.column + 1)
        line = bisect.bisect_right(self.starts, mark.index) - 1
        return Position(line + 1, mark.index - self.starts[line] + 1)


class _Walker:
    def __init__(self, file: str, lines: _Lines) -> None:
        self.file = file
        self.lines = lines
        self.positions: dict[PathKey, Position] = {}
        self.count = 0

    def _error(self, node: yaml.Node, path: PathKey, message: str) -> LocatedError:
        pos = self.lines.position(node.start_mark)
        return LocatedError(self.file, pos.line, pos.col, dotted(path), message)

    def walk(self, node: yaml.Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(
                node, path, f"more than {MAX_NODES} values (alias expansion?); split the file"
            )
        if len(path) > MAX_DEPTH:
            raise self._error(node, path, f"nested deeper than {MAX_DEPTH} levels")
        self.positions[path] = self.lines.position(node.start_mark)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _PLAIN_TAGS:
            raise self._error(node, path, f"unsupported tag {node.tag!r}; remove it")
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, (*path, i)) for i, item in enumerate(node.value)]
        if node.tag == _STR_TAG:  # what the constructor would return, without its call
            return node.value
        if node.tag in _NUMBER_TAGS:
            return self._number(node, path)
        try:
            return _constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as exc:
            raise self._error(node, path, f"cannot read value {node.value!r}: {exc}") from None
        finally:
            # The constructor caches every node it built (construct_document would clear it).
            _constructor.constructed_objects.clear()

    def _number(self, node: yaml.ScalarNode, path: PathKey) -> int | float:
        raw = str(node.value)
        if _DECIMAL.fullmatch(raw) and abs(Decimal(raw)) > MAX_FIGURE:
            # Before converting: Python refuses to read an integer of over 4300 digits.
            raise self._error(node, path, TOO_LARGE)
        try:
            value = _constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as exc:
            raise self._error(node, path, f"cannot read value {raw!r}: {exc}") from None
        finally:
            _constructor.constructed_objects.clear()
        if (why := _yaml11_number(raw, value)) is not None:
            raise self._error(node, path, why)
        return value + 0 if value == 0 else value  # -0.0 is read as 0.0: never printed "-0"

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, path, "a key must be a plain name")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._error(
                    key_node, path, "merge keys (<<) are not supported; write the fields out"
                )
            key = str(key_node.value)
            if key in out:
                first = self.positions[(*path, key)]
                raise self._error(
                    key_node,
                    (*path, key),
                    f"duplicate key (first given at line {first.line}); keep one of them",
                )
            key_position = self.lines.position(key_node.start_mark)
            self.positions[(*path, key)] = key_position
            out[key] = self.walk(value_node, (*path, key))
            # The key's own line is where a reader looks for a field; keep it over the value's.
            self.positions[(*path, key)] = key_position
        return out


def parse(text: str, file: str) -> Document:
    """Parse one YAML document. Raises :class:`LocatedError` for anything that is not valid YAML."""
    lines = _Lines(text)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = astuple(lines.position(mark)) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        shown = _EDITOR_BREAK.split(text)
        if "\t" in (shown[line - 1] if 0 < line <= len(shown) else "") or "\t" in problem:
            problem += "; tabs are not allowed for indentation in YAML, use spaces"
        raise LocatedError(file, line, col, "", f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise LocatedError(file, 1, 1, "", f"YAML syntax error: {exc}") from None
    except RecursionError:
        raise LocatedError(file, 1, 1, "", f"nested deeper than {MAX_DEPTH} levels") from None
    if not nodes:
        raise LocatedError(file, 1, 1, "", "the file is empty; write the record or remove the file")
    if len(nodes) > 1:
        second = lines.position(nodes[1].start_mark)
        raise LocatedError(
            file, second.line, 1, "", "more than one YAML document (---); use one file each"
        )
    walker = _Walker(file, lines)
    data = walker.walk(nodes[0], ())
    return Document(file=file, data=data, positions=walker.positions)


_FILE_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is: a folder, a FIFO, a socket, a device."""
    return next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")


def open_regular(path: Path, name: str) -> BinaryIO:
    """Open a regular file for reading in binary; anything else is a :class:`LocatedError`.

    A FIFO, socket or device is refused from its ``stat`` and never opened (opening
    a FIFO waits for a writer forever). The open itself does not block either, so a
    file swapped for a FIFO after the check cannot hang the run.
    """
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise LocatedError(name, 1, 1, "", f"{file_kind(mode)}, not a file; skipped")
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LocatedError(name, 1, 1, "", f"cannot read file: {reason}") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise LocatedError(name, 1, 1, "", f"{file_kind(mode)}, not a file; skipped")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def size_text(size: float) -> str:
    """A size as people read it: ``5.0 MB``, or ``6.2 KB`` below a tenth of a megabyte."""
    return f"{size / 1048576:.1f} MB" if size >= 104858 else f"{size / 1024:.1f} KB"


def _too_big(name: str, size: int, max_bytes: int, what: str = "file") -> LocatedError:
    return LocatedError(
        name,
        1,
        1,
        "",
        f"{what} is {size_text(size)}, over the {size_text(max_bytes)} limit; "
        "split it or raise --max-file-size",
    )


_BOM = b"\xef\xbb\xbf"


# Byte order marks of UTF-16 and UTF-32 (whose little-endian mark starts like UTF-16's).
_UTF16 = (b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")


def _bad_bytes(name: str, raw: bytes, start: int, line: int = 0) -> LocatedError:
    """Where decoding failed: the line (counted here unless given) and the column on it."""
    if raw.startswith(_UTF16) and line <= 1:
        wide = raw.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"))
        if name.lower().endswith(".csv") and not wide:
            message = "UTF-16 text (Excel's 'Unicode Text'); save the file as UTF-8 (CSV UTF-8)"
        else:
            message = f"{'UTF-32' if wide else 'UTF-16'} text; save the file as UTF-8"
        return LocatedError(name, 1, 1, "", message)
    head = raw[:start]
    if not line:
        line = head.count(b"\n") + 1
    col = len(head[head.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
    message = f"byte 0x{raw[start]:02x}: neither UTF-8 nor GBK/GB18030 text; save the file as UTF-8"
    return LocatedError(name, line, col, "", message)


def _damaged_utf8(raw: bytes) -> bool:
    """Whether bytes that are not UTF-8 are UTF-8 text with a few damaged bytes: then reading
    them as GB18030 would give wrong characters, silently. GBK text read as UTF-8 fails at
    nearly every character; damaged UTF-8 at a few, among many that decode."""
    text = raw.decode("utf-8", "replace")
    bad = text.count("\ufffd")
    good = sum(1 for char in text if char > "\x7f") - bad
    return good >= 4 * bad


def decode(raw: bytes, name: str) -> str:
    """Bytes → text: UTF-8 (with or without BOM), else GB18030 (which includes GBK).

    Chinese office tools often save GBK; GB18030 decodes it exactly, so such files
    are read as they are rather than rejected. Binary data is refused. Streams
    (JSON Lines, CSV) follow the same policy line by line: :class:`LineDecoder`.
    """
    if raw.startswith(_UTF16):
        raise _bad_bytes(name, raw, 0)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise LocatedError(name, line, 1, "", "binary data (NUL byte), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            if _damaged_utf8(raw):
                raise exc
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise _bad_bytes(name, raw, exc.start) from None


class LineDecoder:
    """:func:`decode`'s policy for a file read line by line.

    The encoding is settled by the first line that is not plain ASCII (UTF-8 if it
    decodes as such, else GB18030); a later line that does not decode in it is an
    error for that line only. A UTF-16 file is one error, at its first line.
    """

    def __init__(self, name: str, encoding: str = "") -> None:
        self.name = name
        self.encoding = encoding  # "" until a line settles it; given to go on mid-file

    def __call__(self, raw: bytes, number: int) -> str:
        """The text of line ``number``; raises :class:`LocatedError` for that line."""
        if number == 1 and raw.startswith(_UTF16):
            self.encoding = "utf-16"
            raise _bad_bytes(self.name, raw, 0, 1)
        if self.encoding == "utf-16":
            return ""  # already reported at line 1
        if number == 1 and raw.startswith(_BOM):
            raw, self.encoding = raw[3:], "utf-8"
        if b"\x00" in raw:
            col = raw.index(b"\x00") + 1
            raise LocatedError(self.name, number, col, "", "binary data (NUL byte), not text")
        if raw.isascii():
            return raw.decode("ascii")
        try:
            text = raw.decode(self.encoding or "utf-8")
        except UnicodeDecodeError as exc:
            if self.encoding or _damaged_utf8(raw):
                raise _bad_bytes(self.name, raw, exc.start, number) from None
            try:
                text = raw.decode("gb18030")
            except UnicodeDecodeError:
                raise _bad_bytes(self.name, raw, exc.start, number) from None
        self.encoding = self.encoding or ("utf-8" if text.encode("utf-8") == raw else "gb18030")
        return text


def read_lines(
    handle: BinaryIO, name: str, max_bytes: int
) -> Iterator[tuple[int, bytes | LocatedError]]:
    """(line number, raw line with its ending) for every line of ``handle``, in bounded memory.

    A line longer than ``max_bytes`` (one record cannot be larger than a record
    file) is skipped in pieces and given as an error in its place.
    """
    number = 0
    while True:
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield number, raw
            continue
        size = len(raw)
        while raw and not raw.endswith(b"\n"):
            raw = handle.readline(1 << 20)
            size += len(raw)
        error = _too_big(name, size, max_bytes, "this line")
        yield number, LocatedError(name, number, 1, "", error.message)


def read(path: Path, display: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """Read and parse a YAML file; every failure is a :class:`LocatedError`."""
    name = display or str(path)
    with open_regular(path, name) as handle:
        try:
            raw = handle.read(max_bytes + 1)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise LocatedError(name, 1, 1, "", f"cannot read file: {reason}") from None
        if len(raw) > max_bytes:
            raise _too_big(name, os.fstat(handle.fileno()).st_size, max_bytes)
    return parse(decode(raw, name), name)


def _model_at(model: type[BaseModel], path: PathKey) -> type[BaseModel] | None:
    """The model class that owns the mapping at ``path`` (for "did you mean" hints)."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part) if isinstance(current, type) else None
        if info is None:
            return None
        current = _inner_model(info.annotation)
        if current is None:
            return None
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def describe_error(model: type[BaseModel], error: dict[str, Any], path: PathKey) -> str:
    """A pydantic error as one sentence that says what to do (did you mean …, write …)."""
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, path[:-1])
        names = list(owner.model_fields) if owner else []
        # Close spellings only (spnet → spent), not any field sharing letters (score ↛ sources).
        close = difflib.get_close_matches(str(path[-1]), names, n=1, cutoff=0.75)
        hint = f"; did you mean '{close[0]}'?" if close else "; remove it or check the spelling"
        return f"unknown field{hint}"
    if kind == "missing":
        return "required field is missing; add it"
    if kind == "value_error":  # our own validators: the message already names the value
        return str(error["msg"]).removeprefix("Value error, ")
    message = error["msg"]
    value = error.get("input")
    if kind in {"float_type", "int_type"} and isinstance(value, str):
        hint = _number_hint(value, _field_unit(model, path))
        return f"{message}, got text {value!r}; {hint}"
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        bad = next((c for c in value if (ord(c) < 32 and c not in "\t\n\r") or c == "\x7f"), None)
        if bad is not None:
            return f"control character U+{ord(bad):04X} in text; remove it"
    if kind == "finite_number":
        return "NaN and infinity are not figures; write the number the source states"
    if kind == "string_too_long" and isinstance(value, str):
        limit = (error.get("ctx") or {}).get("max_length")
        return (
            f"{len(value)} characters, over the {limit} a text may have (a name, or the "
            "source's words on one matter); quote the passage that matters, or split it"
        )
    shown = repr(value)
    return f"{message} (got {shown if len(shown) <= 80 else shown[:77] + '…'})"


def _plain(number: Decimal) -> str:
    """A decimal as written out in full: no exponent, no trailing zeros after the point."""
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _unit_in(annotation: Any) -> str | None:
    """The unit a field's type documents: 万元 (Amount), % (Percent, Share); None if none."""
    for meta in getattr(annotation, "__metadata__", ()):
        description = getattr(meta, "description", None) or ""
        if description == "万元":
            return "万元"
        if description.startswith("percent"):
            return "%"
    for arg in getattr(annotation, "__args__", ()):
        if (unit := _unit_in(arg)) is not None:
            return unit
    return None


def _field_unit(model: type[BaseModel], path: PathKey) -> str:
    """The unit of the number field at ``path``: ``万元``, ``%``, or ``""`` (a count, a score)."""
    owner = _model_at(model, path[:-1])
    info = (
        owner.model_fields.get(path[-1]) if owner and path and isinstance(path[-1], str) else None
    )
    return (_unit_in(info.annotation) if info else None) or ""


_UNIT_WORDS = {"万元": "an amount in 万元", "%": "a rate in percent", "": "a plain number"}
# Which units written after a figure each kind of field takes (元 is converted to 万元).
_UNITS_TAKEN = {"万元": ("万元", "元"), "%": ("%",), "": ("个", "人")}
# 67,289.03 and 1,234,567: commas that can only be thousands separators.
_THOUSANDS = re.compile(r"[-+]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")


def _number_hint(text: str, unit: str = "") -> str:
    """How to write a number that was given as text: the fix, spelled out, figure for figure.

    Decimal arithmetic keeps every digit the source wrote (67,289.03 → 67289.03;
    387664.62元 → 38.766462 万元); a float would round it. No figure is offered when
    the text could mean two (12,5 is 12.5 in much of Europe, 125 with a misplaced
    separator) or is in another unit than the field (50% for an amount in 万元).
    """
    cleaned = unicodedata.normalize("NFKC", text).replace(" ", "")
    written = next((u for u in ("万元", "元", "%", "个", "人") if cleaned.endswith(u)), "")
    cleaned = cleaned.removesuffix(written)
    if written and written not in _UNITS_TAKEN[unit]:
        return f"this is {_UNIT_WORDS[unit]}, not in {written}; write the figure in its unit"
    if "," in cleaned:
        if not _THOUSANDS.fullmatch(cleaned):
            return (
                f"the comma in {text!r} may be a decimal point or a thousands separator; "
                "write the figure in plain digits, with a point for decimals"
            )
        cleaned = cleaned.replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return "write a number"
    if not number.is_finite():
        return "write the figure the source states (this is not a finite number)"
    if abs(number) > MAX_FIGURE:
        return TOO_LARGE
    if written == "元":
        return f"amounts are in 万元: write {_plain(number / 10000)}"
    return f"write it as a plain number: {_plain(number)}" + (
        f" (the unit {written} is implied)" if written else ""
    )


class RecordNote(UserWarning):
    """A record that is read, but should change: an earlier spelling of a value, located."""


_show_warning = warnings.showwarning


def _show_note(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    # A note is for the person who wrote the record: one line on stderr, in every process
    # that validates records (worker processes too), not Python's file-and-source format.
    if issubclass(category, RecordNote):
        sys.stderr.write(f"auditcheck: note: {message}\n")
    else:
        _show_warning(message, category, *args, **kw)


warnings.showwarning = _show_note


def _value_at(data: Any, path: PathKey) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _paths(data: Any, path: PathKey = ()) -> Iterator[PathKey]:
    """Every path in ``data``, depth first."""
    yield path
    items = (
        data.items()
        if isinstance(data, dict)
        else enumerate(data)
        if isinstance(data, list)
        else ()
    )
    for key, value in items:
        yield from _paths(value, (*path, key))


def note_renamed(doc: Document, data: Any = None) -> None:
    """Warn, with file and line, about each earlier spelling the model read (and forget them).

    ``data`` is what was validated, when ``doc`` does not hold it (a JSON line).
    """
    data = doc.data if data is None else data
    for field_name, old, new in RENAMED:
        found = (p for p in _paths(data) if p[-1:] == (field_name,) and _value_at(data, p) == old)
        error = doc.error(
            next(found, ()), f"'{old}' is now written '{new}' (read as '{new}'); rename it"
        )
        warnings.warn(str(error), RecordNote, stacklevel=3)
    RENAMED.clear()


def validate(model: type[BaseModel], doc: Document) -> tuple[Any, list[LocatedError]]:
    """Validate ``doc.data`` against ``model``; errors point at the offending field's line.

    Values read under an earlier spelling are reported as :class:`RecordNote` warnings.
    """
    if not isinstance(doc.data, dict):
        kind = type(doc.data).__name__
        return None, [
            LocatedError(
                doc.file, 1, 1, "", f"expected a mapping of fields at top level, got {kind}"
            )
        ]
    try:
        value = model.model_validate(doc.data)
        note_renamed(doc)
        return value, []
    except ValidationError as exc:
        RENAMED.clear()
        errors = []
        for err in exc.errors():
            # Union members add their own names to loc; keep only data keys and indexes.
            path = tuple(p for p in err["loc"] if isinstance(p, int) or not _is_type_tag(p))
            errors.append(doc.error(path, describe_error(model, err, path)))
        return None, errors


def _is_type_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part.startswith(("function-", "constrained-"))
        or part in {"float", "int", "str", "bool", "date", "list", "literal", "none"}
        or part.startswith("literal[")
    )
