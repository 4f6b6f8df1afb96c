"""Paths → validated records, or located errors. Never raises on bad input.

A folder is a batch: ``batch.yaml`` plus one YAML file per project. Single files
may also be given; their batch is the ``batch.yaml`` beside them, if any.
Records are yielded one at a time so that memory does not grow with the batch.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from auditcheck.locate import DEFAULT_MAX_BYTES, Document, LocatedError, read, validate
from auditcheck.records.jsonl import iter_lines, parse_line
from auditcheck.records.model import Batch, Project
from auditcheck.records.tabular import tabular_documents

BATCH_FILE = "batch.yaml"
RECORD_SUFFIXES = (".yaml", ".yml", ".jsonl", ".csv", ".xlsx")
TABULAR = (".csv", ".xlsx")


@dataclass(frozen=True)
class LoadedRecord:
    """A validated project together with its batch and source document."""

    project: Project
    batch: Batch | None
    doc: Document
    batch_doc: Document | None = None


def _display(path: Path) -> str:
    """Paths relative to the working directory when possible, as linters print them."""
    try:
        # absolute(), not resolve(): a symlink loop must not stop us naming the file.
        return str(path.absolute().relative_to(Path.cwd().absolute()))
    except ValueError:
        return str(path)


def load_batch(folder: Path) -> tuple[Batch | None, Document | None, list[LocatedError]]:
    """Read ``folder/batch.yaml``; a folder without one is an error."""
    file = folder / BATCH_FILE
    if not file.is_file():
        message = f"no {BATCH_FILE} in this folder; add one for the batch"
        return None, None, [LocatedError(_display(folder), 1, 1, "", message)]
    try:
        doc = read(file, _display(file))
    except LocatedError as exc:
        return None, None, [exc]
    batch, errors = validate(Batch, doc)
    return batch, (doc if batch else None), errors


def _folder_entries(folder: Path) -> tuple[list[Path], list[Path]]:
    """Record files of a batch folder, and the other entries that do not belong there.

    Hidden files are skipped; anything else that is not a record is reported, so
    that nothing in a batch is silently left unchecked.
    """
    try:
        entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    except OSError:
        return [], []
    records = [p for p in entries if p.suffix in RECORD_SUFFIXES and p.name != BATCH_FILE]
    strays = [p for p in entries if p.suffix not in RECORD_SUFFIXES]
    return records, strays


def _expand(paths: Iterable[Path]) -> Iterator[tuple[Path, list[Path]] | LocatedError]:
    """Each folder to check with its record files; a named batch.yaml stands for its folder."""
    seen: set[Path] = set()
    for path in paths:
        if path.is_file() and path.name == BATCH_FILE:
            path = path.parent
        if path.is_dir():
            files, strays = _folder_entries(path)
            for stray in strays:
                message = "not a record file (*.yaml); move it out of the batch folder"
                yield LocatedError(_display(stray), 1, 1, "", message)
            if not files:
                yield LocatedError(_display(path), 1, 1, "", "no project records (*.yaml) here")
        elif path.exists():
            files = [path]
        else:
            yield LocatedError(str(path), 1, 1, "", "no such file or folder")
            continue
        # The same file named twice (a folder and a file in it) is checked once.
        fresh = [f for f in files if f.absolute() not in seen]
        seen.update(f.absolute() for f in fresh)
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

    def claim(self, rid: str, place: str) -> str | None:
        """Record ``rid`` as seen at ``place``; if it was seen before, where that was."""
        try:
            self.db.execute("insert into ids values (?, ?)", (rid, place))
        except sqlite3.IntegrityError:
            return self.db.execute("select place from ids where id = ?", (rid,)).fetchone()[0]
        return None


UNIT_SIZE = 500  # records per unit of work: big enough to amortise, small enough to stream


@dataclass
class Unit:
    """A piece of input that can be checked on its own (in this process or a worker).

    Either YAML record files of one folder, or a block of lines of a JSON Lines
    file; ``batch`` is the batch they belong to, already loaded.
    """

    files: list[Path]
    batch: BatchRef
    lines: list[tuple[int, str]] | None = None
    docs: list[Document] | None = None  # rows of a CSV/XLSX table, already grouped per project


def plan_units(paths: Iterable[Path], size: int = UNIT_SIZE) -> Iterator[Unit | LocatedError]:
    """Split the input into units in a stable order, reading JSON Lines as a stream.

    A folder must hold a batch.yaml; a record file given on its own takes the
    batch.yaml beside it when there is one. Batch errors are reported once here.
    """
    batches: dict[Path, BatchRef] = {}
    for item in _expand(paths):
        if isinstance(item, LocatedError):
            yield item
            continue
        path, files = item
        folders = [path] if path.is_dir() else [f.parent for f in files]
        for folder in folders:
            key = folder.resolve()
            if key not in batches:
                batch, doc, errors = (None, None, [])
                if path.is_dir() or (folder / BATCH_FILE).is_file():
                    batch, doc, errors = load_batch(folder)
                yield from errors
                batches[key] = (batch, doc)
        pending: list[Path] = []
        for file in files:
            batch_ref = batches[file.parent.resolve()]
            if file.suffix not in (".jsonl", *TABULAR):
                pending.append(file)
                if len(pending) == size:
                    yield Unit(pending, batch_ref)
                    pending = []
                continue
            if pending:
                yield Unit(pending, batches[pending[0].parent.resolve()])
                pending = []
            if file.suffix == ".jsonl":
                yield from _jsonl_units(file, batch_ref, size)
            else:
                yield from _table_units(file, batch_ref, size)
        if pending:
            yield Unit(pending, batches[pending[0].parent.resolve()])


def _jsonl_units(file: Path, batch: BatchRef, size: int) -> Iterator[Unit | LocatedError]:
    name = _display(file)
    block: list[tuple[int, str]] = []
    try:
        for number, text in iter_lines(file, name):
            block.append((number, text))
            if len(block) == size:
                yield Unit([file], batch, block)
                block = []
    except UnicodeDecodeError as exc:
        yield LocatedError(name, 1, 1, "", f"not UTF-8 text ({exc.reason}); save the file as UTF-8")
    except OSError as exc:
        yield LocatedError(name, 1, 1, "", f"cannot read file: {exc.strerror}")
    if block:
        yield Unit([file], batch, block)


def _table_units(file: Path, batch: BatchRef, size: int) -> Iterator[Unit | LocatedError]:
    docs: list[Document] = []
    for doc in tabular_documents(file, _display(file)):
        if isinstance(doc, LocatedError):
            if docs:
                yield Unit([file], batch, docs=docs)
                docs = []
            yield doc
            continue
        docs.append(doc)
        if len(docs) == size:
            yield Unit([file], batch, docs=docs)
            docs = []
    if docs:
        yield Unit([file], batch, docs=docs)


def iter_unit(
    unit: Unit, seen: IdRegistry, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LoadedRecord | LocatedError]:
    """The records of one unit, or located errors; ``seen`` tracks record ids across units."""
    if unit.docs is not None:
        for doc in unit.docs:
            project, errors = validate(Project, doc)
            yield from errors
            if project is not None:
                yield _accept(project, doc, unit.batch, seen)
        return
    if unit.lines is not None:
        name = _display(unit.files[0])
        for number, text in unit.lines:
            project, doc, errors = parse_line(text, name, number)
            yield from errors
            if project is not None:
                yield _accept(project, doc, unit.batch, seen)
        return
    for file in unit.files:
        try:
            doc = read(file, _display(file), max_bytes)
        except LocatedError as exc:
            yield exc
            continue
        project, errors = validate(Project, doc)
        yield from errors
        if project is not None:
            yield _accept(project, doc, unit.batch, seen)


def iter_records(
    paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[LoadedRecord | LocatedError]:
    """Yield each valid record, or a located error for each problem, in a stable order."""
    seen = IdRegistry()
    for unit in plan_units(paths):
        if isinstance(unit, LocatedError):
            yield unit
        else:
            yield from iter_unit(unit, seen, max_bytes)


def _accept(
    project: Project,
    doc: Document,
    batch: tuple[Batch | None, Document | None],
    seen: IdRegistry,
) -> LoadedRecord | LocatedError:
    where = f"{doc.file}:{doc.line(('id',))}"
    if (first := seen.claim(project.id, where)) is not None:
        message = f"record id '{project.id}' is also used by {first}; ids must be unique"
        return doc.error(("id",), message)
    return LoadedRecord(project=project, batch=batch[0], doc=doc, batch_doc=batch[1])
