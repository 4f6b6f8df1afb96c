"""Paths → units of work → validated records, or located errors. Never raises on bad input.

A folder is a batch: ``batch.yaml`` plus record files (YAML, JSON Lines, CSV,
XLSX, and the forms units hold: .xlsx/.xlsm/.xls workbooks and .docx tables, see
:mod:`auditcheck.forms`). A folder holding only forms needs no ``batch.yaml``.
Single files may also be given; their batch is the ``batch.yaml`` beside them, if
any. Records are yielded one at a time so that memory does not grow with the
batch. The form files of one batch are read together, so that a 绩效目标表 is
joined to the 自评表 of its project.

What a batch folder may hold besides records: hidden files and Office's lock files
(``~$天长.xlsx``) are skipped; other files (a README.md, a SOURCE.md, last year's
draft) and sub-folders are noted on stderr and not read, and do not change the
exit code; so is a workbook or Word document in it that holds no form. An entry
with a record suffix that is not a regular file (a FIFO, a socket, a device) is an
error and is never opened.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from auditcheck.forms import FormError, FormRecord, looks_like_form, read_forms
from auditcheck.locate import (
    DEFAULT_MAX_BYTES,
    Document,
    LocatedError,
    Note,
    file_kind,
    read,
    validate,
)
from auditcheck.records.jsonl import Lines, parse_line, read_blocks
from auditcheck.records.model import Batch, Project
from auditcheck.records.tabular import tabular_documents

BATCH_FILE = "batch.yaml"
MISNAMED_BATCH = "batch.yml"  # records may be .yml; the batch file is one name, said when missed
WORKBOOKS = (".xlsx", ".xlsm")  # a table with a row per project, or forms
FORMS_ONLY = (".xls", ".docx")
RECORD_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv", *WORKBOOKS, *FORMS_ONLY)
TABULAR = (".csv", *WORKBOOKS)
YAML = (".yaml", ".yml")
FORMS = "forms"  # the kind of a file read by the form reader


@dataclass(frozen=True)
class LoadedRecord:
    """A validated project together with its batch and source document."""

    project: Project
    batch: Batch | None
    doc: Document
    batch_doc: Document | None = None


def display(path: Path) -> str:
    """Paths relative to the working directory when possible, as linters print them.

    A name that is not valid UTF-8 keeps its bytes as ``\\xff`` escapes, so it can
    be printed and written to any output.
    """
    try:
        # absolute(), not resolve(): a symlink loop must not stop us naming the file.
        text = str(path.absolute().relative_to(Path.cwd().absolute()))
    except ValueError:
        text = str(path)
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def suffix(path: Path) -> str:
    """The suffix that decides how a file is read (``.YAML`` is ``.yaml``)."""
    return path.suffix.lower()


def load_batch(folder: Path) -> tuple[Batch | None, Document | None, list[LocatedError]]:
    """Read ``folder/batch.yaml``; a folder without one is an error."""
    file = folder / BATCH_FILE
    if not os.path.lexists(file) and os.path.lexists(folder / MISNAMED_BATCH):
        message = f"the batch file is named {BATCH_FILE}; rename this one to {BATCH_FILE}"
        return None, None, [LocatedError(display(folder / MISNAMED_BATCH), 1, 1, "", message)]
    if not os.path.lexists(file):
        message = f"no {BATCH_FILE} in this folder; add one for the batch"
        return None, None, [LocatedError(display(folder), 1, 1, "", message)]
    try:
        doc = read(file, display(file))
    except LocatedError as exc:
        return None, None, [exc]
    batch, errors = validate(Batch, doc)
    return batch, (doc if batch else None), errors


def _batch_beside(folder: Path) -> bool:
    """Whether a record file named on its own has a batch file beside it (misnamed or not)."""
    return any(os.path.lexists(folder / name) for name in (BATCH_FILE, MISNAMED_BATCH))


def _folder_entries(
    folder: Path, settings: frozenset[Path]
) -> tuple[list[Path], list[LocatedError | Note]]:
    """Record files of a batch folder, and what is said about the other entries.

    Only ``stat`` is used to tell files from the rest: a FIFO is never opened. The run's
    own ``settings`` files (its waivers, its baseline) are not records, wherever they lie.
    """
    try:
        # Office writes ~$name.xlsx beside a workbook it has open: a lock, not a file to read.
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$")))
    except OSError as exc:
        return [], [LocatedError(display(folder), 1, 1, "", f"cannot list folder: {exc.strerror}")]
    records: list[Path] = []
    other: list[LocatedError | Note] = []
    for path in entries:
        if path.name in (BATCH_FILE, MISNAMED_BATCH):
            continue
        if settings and _real(path) in settings:
            other.append(
                Note(display(path), "this run's waivers or baseline; not read as a record")
            )
            continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            message = f"cannot read file: {exc.strerror}"
            other.append(LocatedError(display(path), 1, 1, "", message))
            continue
        if suffix(path) in RECORD_SUFFIXES and stat.S_ISREG(mode):
            records.append(path)
        elif suffix(path) in RECORD_SUFFIXES:
            message = f"{file_kind(mode)}, not a file; skipped"
            other.append(LocatedError(display(path), 1, 1, "", message))
        elif stat.S_ISDIR(mode):
            message = "a folder inside a batch is not read; name it to check it"
            other.append(Note(display(path), message))
        else:
            other.append(Note(display(path), "not a record file; not read"))
    return records, other


def _real(path: Path) -> Path:
    """The file itself, whatever the spelling or the symlinks (a symlink loop as it stands)."""
    return Path(os.path.realpath(path))


def _expand(
    paths: Iterable[Path], settings: frozenset[Path]
) -> Iterator[tuple[Path, list[Path]] | LocatedError | Note]:
    """Each folder to check with its record files; a named batch.yaml stands for its folder."""
    seen: set[Path] = set()
    for path in paths:
        if path.name in (BATCH_FILE, MISNAMED_BATCH) and path.is_file():
            path = path.parent
        if path.is_dir():
            files, other = _folder_entries(path, settings)
            yield from other
            if not files:
                message = "no project records here (*.yaml, *.jsonl, *.csv, *.xlsx, forms)"
                yield LocatedError(display(path), 1, 1, "", message)
        elif os.path.lexists(path):
            files = [path]  # whatever it is, reading it says what is wrong (never opening a FIFO)
        else:
            yield LocatedError(display(path), 1, 1, "", "no such file or folder")
            continue
        # The same file named twice (a folder and a file in it, through a symlink too) is
        # checked once.
        fresh = [f for f in files if _real(f) not in seen]
        seen.update(_real(f) for f in fresh)
        yield path, fresh


BatchRef = tuple[Batch | None, Document | None]


class IdRegistry:
    """The record ids of a run and where each was first seen, kept out of memory.

    A province's worth of ids would otherwise be the one thing that grows with
    the run; SQLite's private temporary database (the empty file name) keeps them
    on disk with a small page cache, exact, at about 2 µs a record.
    """

    def __init__(self) -> None:
        self.db = sqlite3.connect("", isolation_level=None)
        self.db.execute("pragma journal_mode = off")
        self.db.execute("pragma synchronous = off")
        self.db.execute("create table ids (id text primary key, place text) without rowid")
        # One transaction for the run, never committed: a transaction per insert doubles the
        # cost; a duplicate's failed insert undoes only itself.
        self.db.execute("begin")

    def claim(self, rid: str, place: str) -> str | None:
        """Record ``rid`` as seen at ``place``; if it was seen before, where that was."""
        try:
            self.db.execute("insert into ids values (?, ?)", (rid, place))
        except sqlite3.IntegrityError:
            return self.db.execute("select place from ids where id = ?", (rid,)).fetchone()[0]
        return None

    def claim_all(self, rids: list[str], places: list[str]) -> bool:
        """Record each id as seen at its place, in one call, if none of them was seen before
        (nor is given twice); else record none of them and return False."""
        before = self.db.total_changes
        try:
            self.db.executemany("insert into ids values (?, ?)", zip(rids, places, strict=True))
        except sqlite3.IntegrityError:
            # Without a journal nothing can be rolled back: the ids inserted before the one
            # seen already were new, and are taken out again.
            added = rids[: self.db.total_changes - before]
            self.db.executemany("delete from ids where id = ?", ((rid,) for rid in added))
            return False
        return True


UNIT_SIZE = 500  # records per unit of work: big enough to amortise, small enough to stream


@dataclass
class Unit:
    """A piece of input that can be checked on its own (in this process or a worker).

    YAML record files of one folder, a block of lines of a JSON Lines file (not yet
    decoded), or the projects of a table; ``batch`` is the batch they belong to,
    already loaded. Lines and table rows that could not be read stand in their
    place as errors, so that errors keep input order.
    """

    files: list[Path]
    batch: BatchRef
    lines: list[Lines | LocatedError] | None = None
    docs: list[Document | LocatedError] | None = None
    forms: bool = False  # the files are forms, read together (a 目标表 joins its 自评表)


Planned = Unit | LocatedError | Note


def file_kind_of(file: Path, named: bool, max_bytes: int) -> str | Note:
    """How a record file is read: by its suffix, a workbook by what it holds (forms or a
    table; one that cannot be looked into by its suffix, for its reader to say why).

    A Word document found in a folder is read only when it holds a form (a folder is
    where last year's draft lies); else it is a note, as an .xls without a form is.
    A file named on the command line is read as forms, for the reader to say what is wrong.
    """
    kind = suffix(file)
    if kind not in (*WORKBOOKS, *FORMS_ONLY):
        return kind
    holds = looks_like_form(file, max_bytes)
    if holds or (holds is None and kind == ".xls") or (kind in FORMS_ONLY and named):
        return FORMS
    if kind in WORKBOOKS:
        return kind
    if holds is None:
        return Note(display(file), "cannot be opened to look for a form; not read")
    return Note(display(file), "holds no form (项目名称 and 三级指标); not read")


def plan_units(
    paths: Iterable[Path],
    max_bytes: int,
    size: int = UNIT_SIZE,
    settings: Iterable[Path] = (),
) -> Iterator[Planned]:
    """Split the input into units in a stable order, reading JSON Lines and tables as a stream.

    A folder must hold a batch.yaml, unless it holds only forms; a record file given on
    its own takes the batch.yaml beside it when there is one. Batch errors are reported
    once here. Forms of one batch are read together, as one unit: the form files of a
    folder (at the place of the first), and form files named one after another that lie
    in one folder. Paths are taken one at a time, as they come. ``settings`` are the
    run's other files (waivers, baseline): a folder holding one does not offer it as a record.
    """
    batches: dict[Path, BatchRef] = {}
    named: list[Path] = []  # form files named one after another in one folder
    for item in _expand(paths, frozenset(_real(p) for p in settings)):
        if isinstance(item, LocatedError | Note):
            yield item
            continue
        path, files = item
        folder = path if path.is_dir() else path.parent
        kinds = {file: file_kind_of(file, not path.is_dir(), max_bytes) for file in files}
        form = not path.is_dir() and FORMS in kinds.values()
        if named and not (form and folder.resolve() == named[0].parent.resolve()):
            yield Unit(named, batches[named[0].parent.resolve()], forms=True)
            named = []
        yield from (kind for kind in kinds.values() if isinstance(kind, Note))
        files = [file for file in files if not isinstance(kinds[file], Note)]
        key = folder.resolve()
        if key not in batches and (files or path.is_dir()):
            only_forms = bool(files) and all(kinds[f] == FORMS for f in files)
            batch, doc, errors = (None, None, [])
            if _batch_beside(folder) or (path.is_dir() and not only_forms):
                batch, doc, errors = load_batch(folder)
            yield from errors
            batches[key] = (batch, doc)
        if not files:
            continue
        if form:
            named += files
            continue
        yield from _file_units(files, kinds, batches[key], size, max_bytes)
    if named:
        yield Unit(named, batches[named[0].parent.resolve()], forms=True)


def _file_units(
    files: list[Path], kinds: dict[Path, str | Note], batch: BatchRef, size: int, max_bytes: int
) -> Iterator[Planned]:
    """The units of one folder's files (or of one file named), in file order."""
    pending: list[Path] = []  # YAML files, checked together
    forms = [file for file in files if kinds[file] == FORMS]
    for file in files:
        kind = kinds[file]
        if pending and kind not in YAML:
            yield Unit(pending, batch)
            pending = []
        if kind == FORMS:
            if file == forms[0]:
                yield Unit(forms, batch, forms=True)
        elif kind == ".jsonl":
            yield from _jsonl_units(file, batch, size, max_bytes)
        elif kind in TABULAR:
            yield from _table_units(file, batch, size, max_bytes)
        else:
            pending.append(file)
            if len(pending) == size:
                yield Unit(pending, batch)
                pending = []
    if pending:
        yield Unit(pending, batch)


def _jsonl_units(file: Path, batch: BatchRef, size: int, max_bytes: int) -> Iterator[Planned]:
    parts: list[Lines | LocatedError] = []  # a block of lines, and the errors before it
    try:
        for part in read_blocks(file, display(file), max_bytes, size):
            parts.append(part)
            if isinstance(part, Lines):
                yield Unit([file], batch, parts)
                parts = []
    except LocatedError as exc:
        parts.append(exc)
    except OSError as exc:
        parts.append(LocatedError(display(file), 1, 1, "", f"cannot read file: {exc.strerror}"))
    if parts:
        yield Unit([file], batch, parts)


def _table_units(file: Path, batch: BatchRef, size: int, max_bytes: int) -> Iterator[Planned]:
    docs: list[Document | LocatedError] = []
    for doc in tabular_documents(file, display(file), max_bytes):
        if isinstance(doc, Note):
            yield doc  # the table's own rows come after it; nothing to keep in order with
            continue
        docs.append(doc)
        if len(docs) == size:
            yield Unit([file], batch, docs=docs)
            docs = []
    if docs:
        yield Unit([file], batch, docs=docs)


def iter_unit(
    unit: Unit, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LoadedRecord | LocatedError | Note]:
    """The records of one unit, located errors, and notes on what a workbook holds besides
    forms, in input order (ids are not checked here)."""
    if unit.forms:
        yield from _form_records(unit, max_bytes)
        return
    if unit.docs is not None:
        for doc in unit.docs:
            if isinstance(doc, LocatedError):
                yield doc
                continue
            project, errors = validate(Project, doc)
            yield from errors
            if project is not None:
                yield _loaded(project, doc, unit.batch)
        return
    if unit.lines is not None:
        name = display(unit.files[0])
        for part in unit.lines:
            if isinstance(part, LocatedError):
                yield part
                continue
            for number, text in part.decoded(name):
                if isinstance(text, LocatedError):
                    yield text
                    continue
                project, doc, errors = parse_line(text, name, number)
                yield from errors
                if project is not None:
                    yield _loaded(project, doc, unit.batch)
        return
    for file in unit.files:
        try:
            doc = read(file, display(file), max_bytes)
        except LocatedError as exc:
            yield exc
            continue
        project, errors = validate(Project, doc)
        yield from errors
        if project is not None:
            yield _loaded(project, doc, unit.batch)


def _form_records(unit: Unit, max_bytes: int) -> Iterator[LoadedRecord | LocatedError | Note]:
    for item in read_forms([(file, display(file)) for file in unit.files], max_bytes):
        if isinstance(item, FormRecord):
            assert item.project is not None, "read_forms validates every record it yields"
            yield _loaded(item.project, item.document(), unit.batch)
        else:
            yield item.located() if isinstance(item, FormError) else item


def _loaded(project: Project, doc: Document, batch: BatchRef) -> LoadedRecord:
    return LoadedRecord(project=project, batch=batch[0], doc=doc, batch_doc=batch[1])


def duplicate_id(anchor: LocatedError, rid: str, first: str) -> LocatedError:
    """The error for the record whose id stands at ``anchor`` when ``first`` used it already."""
    message = f"record id '{rid}' is also used by {first}; ids must be unique"
    return LocatedError(anchor.file, anchor.line, anchor.col, "id", message, anchor.place)


def iter_records(
    paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LoadedRecord | LocatedError]:
    """Each valid record, or a located error for each problem, in a stable order (notes left out).

    Record ids are checked for duplicates across everything read.
    """
    seen = IdRegistry()
    for unit in plan_units(paths, max_bytes):
        if isinstance(unit, Note):
            continue
        if isinstance(unit, LocatedError):
            yield unit
            continue
        for item in iter_unit(unit, max_bytes):
            if isinstance(item, Note):
                continue
            if isinstance(item, LoadedRecord):
                anchor = item.doc.error(("id",), "")
                if first := seen.claim(item.project.id, anchor.short):
                    item = duplicate_id(anchor, item.project.id, first)
            yield item
