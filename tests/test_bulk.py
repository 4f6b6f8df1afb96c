"""Bulk input (JSON Lines, CSV, XLSX), --jobs, and streaming."""

import json
import pickle
import random
import shutil
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from operator import attrgetter
from pathlib import Path

import pytest
from openpyxl import Workbook

from auditcheck import check, parallel, pipeline
from auditcheck.check import Checker, RunResult
from auditcheck.config import RulebookSpec
from auditcheck.engine import members
from auditcheck.examples import example_record
from auditcheck.facts import Fact
from auditcheck.findings import Tally
from auditcheck.locate import DEFAULT_MAX_BYTES
from auditcheck.output import open_output
from auditcheck.records import load
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.render.writers import Encoding, StreamingWriter, Writer, make_writer
from auditcheck.rulebook.load import Rulebook

from .conftest import FIXTURES, ROOT, RULES, cli

BENCH = ROOT / "benchmarks"
BATCH = "region: 某区\nfiscal_year: 2023\nas_of: 2024-06-30\n"


def test_jsonl_records_and_errors_point_at_row_and_key(tmp_path: Path) -> None:
    good = {
        "id": "a1",
        "name": "项目",
        "type": "专项",
        "units": ["单位"],
        "budget": 100,
        "spent": 50,
    }
    bad = {**good, "id": "a2", "spent": "很多"}
    path = tmp_path / "records.jsonl"
    lines = [json.dumps(good, ensure_ascii=False), "", json.dumps(bad, ensure_ascii=False), "{oops"]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    proc = cli("run", str(path), "--format", "json")
    errors = proc.stderr.strip().splitlines()
    column = lines[2].index('"spent"') + 1
    assert errors[0].startswith(f"{path}:3:{column}: spent: Input should be a valid number")
    assert errors[1].startswith(f"{path}:4:1: not valid JSON")
    data = json.loads(proc.stdout)
    [finding] = [f for f in data["findings"] if f["rule"] == "low-execution-rate"]
    assert (finding["record"], finding["line"]) == ("a1", 1)
    assert proc.returncode == 2


CSV = (
    "项目编号,项目名称,项目类型,项目单位,预算资金,实际支出,schedule.planned_completion,subitem_of\n"
    "p1,项目一,专项,区财政局、区住建局,100,50,2023-06-30,\n"
    ",子项A,,,60,20,,p1\n"
    ",子项B,,,40,abc,,p1\n"
    "p2,项目二,专项,区卫体局,100,95,2023-02-30,\n"
)


def test_csv_rows_become_records_with_located_errors(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(CSV, "utf-8")
    proc = cli("run", str(path), "--format", "json")
    assert f"{path}:4:6: subitems[1].spent: Input should be a valid number" in proc.stderr
    assert f"{path}:5:7: schedule.planned_completion: Input should be a valid date" in proc.stderr
    assert proc.returncode == 2


def test_csv_sub_items_attach_to_their_project(tmp_path: Path) -> None:
    path = tmp_path / "records.csv"
    path.write_text(CSV.replace("abc", "10").replace("2023-02-30", "2023-02-28"), "utf-8")
    (tmp_path / "batch.yaml").write_text(BATCH, "utf-8")
    data = json.loads(cli("run", str(path), "--format", "json").stdout)
    found = {(f["rule"], f["record"], f["field"], f["line"]) for f in data["findings"]}
    assert ("low-execution-rate", "p1", "spent", 2) in found
    assert ("low-execution-rate", "p1", "subitems[0].spent", 3) in found
    assert ("overdue-construction", "p1", "schedule.planned_completion", 2) in found
    assert data["summary"]["records"] == 2


def test_xlsx_first_sheet_is_read_like_csv(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    for line in CSV.replace("abc", "10").splitlines():
        sheet.append([cell or None for cell in line.split(",")])
    sheet["E2"] = 100  # typed cells, as spreadsheets hold them
    path = tmp_path / "records.xlsx"
    book.save(path)
    proc = cli("run", str(path), "--format", "json")
    assert f"{path}:Sheet!G5: schedule.planned_completion" in proc.stderr
    data = json.loads(proc.stdout)
    assert ("low-execution-rate", "p1") in {(f["rule"], f["record"]) for f in data["findings"]}


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen")
    target = folder / "records.jsonl"
    command = [sys.executable, str(BENCH / "generate.py"), "1200", "-o", str(target)]
    subprocess.run(command, check=True)
    return target


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "github", "sarif"])
@pytest.mark.parametrize("source", ["generated", "seed"])
def test_jobs_give_byte_identical_output(generated: Path, fmt: str, source: str) -> None:
    path = str(generated) if source == "generated" else "fixtures/2023"
    one = cli("run", path, "--format", fmt)
    two = cli("run", path, "--format", fmt, "--jobs", "2")
    assert one.returncode == two.returncode
    assert one.stdout == two.stdout and one.stdout


def test_jobs_find_duplicate_ids_across_units(tmp_path: Path, generated: Path) -> None:
    lines = generated.read_text("utf-8").splitlines()
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join([*lines, lines[0]]) + "\n", "utf-8")
    shutil.copy(generated.parent / "batch.yaml", tmp_path / "batch.yaml")
    for jobs in ("1", "2"):
        proc = cli("run", str(path), "--jobs", jobs, "--format", "json")
        assert f"{path}:{len(lines) + 1}:" in proc.stderr and "also used by" in proc.stderr
        assert proc.returncode == 2


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_jobs_2_takes_a_unit_with_repeated_ids_as_jobs_1(
    tmp_path: Path, generated: Path, fmt: str
) -> None:
    # Workers send a unit's records at once; one id seen before makes the parent take them
    # one by one: here an id of the first unit, and one given twice within the last.
    lines = generated.read_text("utf-8").splitlines()
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join([*lines, lines[3], lines[1001], lines[7]]) + "\n", "utf-8")
    shutil.copy(generated.parent / "batch.yaml", tmp_path / "batch.yaml")
    one, two = (cli("run", str(path), "--jobs", jobs, "--format", fmt) for jobs in "12")
    assert (two.returncode, two.stdout, two.stderr) == (one.returncode, one.stdout, one.stderr)
    assert one.stderr.count("also used by") == 3


def test_a_worker_writes_a_run_of_records_as_one_message(tmp_path: Path, generated: Path) -> None:
    # A worker takes its records block by block; consecutive blocks make one Written, which
    # an error ends, and the Written holds what each record would have written alone.
    lines = generated.read_text("utf-8").splitlines()[:150]
    path = tmp_path / "part.jsonl"
    path.write_text("\n".join([*lines[:70], "{", *lines[70:]]) + "\n", "utf-8")
    shutil.copy(generated.parent / "batch.yaml", tmp_path / "batch.yaml")
    checker = Checker(RulebookSpec(RULES).load())
    (unit,) = [u for u in load.plan_units([path], DEFAULT_MAX_BYTES) if isinstance(u, load.Unit)]
    outcomes = list(check.check_unit(checker, unit, DEFAULT_MAX_BYTES))
    sent = pipeline.writing(Encoding("jsonl"))(outcomes)
    assert [type(item).__name__ for item in sent] == ["Written", "LocatedError", "Written"]
    first, _, second = sent
    checked = [item for item in outcomes if isinstance(item, check.Checked)]
    assert first.records + second.records == [item.record for item in checked]
    assert len(first.records) == 70 and len(first.each) == 3  # blocks of 32, 32 and 6
    encode = Encoding("jsonl").encoder()
    wanted = [encode(item.findings) if item.findings else "" for item in checked]
    assert first.chunks + second.chunks == wanted and any(wanted)
    assert first.facts + second.facts == sum(item.facts for item in checked)
    each = [row for block in second.each for row in pickle.loads(block)]
    assert [row[4] for row in each] == [item.facts for item in checked[70:]]
    # Where each id stands, from which the parent makes a repeated id's error: the anchor's.
    anchors = [item.anchor for item in checked[70:]]
    assert [row[:4] for row in each] == [(a.file, a.line, a.col, a.place) for a in anchors]


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "github"])
def test_findings_a_worker_encodes_go_out_as_the_text_would(
    tmp_path: Path, generated: Path, fmt: str
) -> None:
    # For an output that takes bytes a worker sends its chunks encoded, and the parent puts
    # them out unread: taken at once or one by one, the file holds what the text gives.
    checker = Checker(RulebookSpec(RULES).load())
    records = [r for r in iter_records([generated]) if isinstance(r, LoadedRecord)][:40]
    findings = [checker.check(record).findings for record in records]
    findings[1] = [*findings[1], replace(findings[1][0], message="中\ud800")]  # a lone surrogate
    outputs = []
    for sent in ("text", "bytes"):
        target = tmp_path / f"{sent}.out"
        with open_output(target) as out:
            writer = make_writer(fmt, out, [], False, False, False)
            assert isinstance(writer, StreamingWriter)
            codec = writer.encoding.codec if sent == "bytes" else None
            encode = replace(writer.encoding, codec=codec).sender()
            chunks = [encode(found) for found in findings]
            assert {type(chunk) for chunk in chunks} == {bytes if codec else str}
            writer.take_all(chunks[:20])
            for chunk in chunks[20:]:
                writer.take(chunk)
            writer.close(RunResult())
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] and b"\\ud800" in outputs[0]


@pytest.mark.skipif(parallel.F_SETPIPE_SZ is None, reason="pipes cannot be widened here")
def test_the_pools_pipes_hold_a_units_message() -> None:
    fcntl = pytest.importorskip("fcntl")
    pool = ProcessPoolExecutor(1)
    try:
        parallel._widen_pipes(pool)
        for queue in (pool._call_queue, pool._result_queue):
            assert fcntl.fcntl(queue._reader.fileno(), fcntl.F_GETPIPE_SZ) == parallel.PIPE_BYTES
    finally:
        pool.shutdown()


class _Writes(list):
    """An output that keeps each write."""

    def write(self, text: str) -> None:
        self.append(text)


class _OneByOne:
    """A writer behind a sink that is not streaming: given each record's findings."""

    def __init__(self, writer: Writer) -> None:
        self.write, self.close = writer.write, writer.close


@pytest.mark.parametrize("fmt", ["json", "jsonl", "text", "github"])
def test_records_taken_in_runs_are_taken_as_one_by_one(
    tmp_path: Path, generated: Path, fmt: str
) -> None:
    # Checked in this process for a streaming sink, a block's records are taken at once; an
    # id seen before (in an earlier block, or twice in one) makes them taken one by one.
    lines = generated.read_text("utf-8").splitlines()[:150]
    path = tmp_path / "dup.jsonl"
    text = "\n".join([*lines[:40], lines[3], *lines[40:70], lines[50], "{", *lines[70:]])
    path.write_text(text + "\n", "utf-8")
    shutil.copy(generated.parent / "batch.yaml", tmp_path / "batch.yaml")
    run = pipeline.Run(RulebookSpec(RULES), pipeline.Sources((path,)))
    taken = []
    for in_runs in (True, False):
        out = _Writes()

        def sink(book: Rulebook, in_runs: bool = in_runs, out: _Writes = out) -> pipeline.Sink:
            writer = make_writer(fmt, out, book.rules, False, False, False)
            return writer if in_runs else _OneByOne(writer)

        result = pipeline.execute(run, sink)
        errors = [str(e) for e in result.errors]
        taken.append(("".join(out), errors, result.records, result.facts, result.tally, len(out)))
    assert taken[0][:-1] == taken[1][:-1]
    assert len(taken[0][1]) == 3 and taken[0][2] == 150
    assert taken[0][-1] < taken[1][-1] / 2  # a block's findings in one write


def test_ids_are_claimed_all_at_once_or_not_at_all() -> None:
    ids = load.IdRegistry()
    assert ids.claim("a", "f:1") is None
    assert ids.claim_all(["b", "c"], ["f:2", "f:3"])
    assert not ids.claim_all(["d", "e", "a"], ["f:4", "f:5", "f:6"])  # a was seen
    assert not ids.claim_all(["d", "f", "f"], ["f:4", "f:7", "f:8"])  # f is given twice
    assert [ids.claim(rid, "g") for rid in "abcdef"] == ["f:1", "f:2", "f:3", None, None, None]


def test_a_tally_merged_from_parts_is_the_tally_of_the_whole() -> None:
    rng = random.Random(7)
    records = [
        [
            (rng.choice(["open", "waived"]), rng.choice(["error", "info"]), rng.choice("xyz"))
            for _ in range(rng.randrange(6))
        ]
        for _ in range(300)
    ]
    chunks = [[(*m, f"r{i}", f"p{i % 7}") for m in marks] for i, marks in enumerate(records)]
    whole, merged = Tally(), Tally()
    for chunk in chunks:
        whole.count(chunk)
    for start in range(0, len(chunks), 32):
        part = Tally()
        for chunk in chunks[start : start + 32]:
            part.count(chunk)
        merged.merge(part)
    assert (merged.open, merged.status, merged.categories) == (
        whole.open,
        whole.status,
        whole.categories,
    )
    assert merged.top_records() == whole.top_records() and len(whole.top_records()) == 10


@pytest.mark.parametrize("size", [1, 2, 100])
def test_jsonl_blocks_are_decoded_in_the_encoding_earlier_lines_settled(
    tmp_path: Path, size: int
) -> None:
    record = {"id": "a0", "name": "x", "type": "专项", "units": ["单位"], "budget": 1, "spent": 1}
    line = json.dumps(record, ensure_ascii=False)
    gbk = line.replace('"a0"', '"a1"').replace('"x"', '"项目一"').encode("gb18030")
    # Line 3's name is UTF-8 bytes that GB18030 reads too (as other characters).
    utf8 = json.dumps({**record, "id": "a2"}).encode().replace(b'"x"', '"项目"'.encode())
    raw = [json.dumps(record).encode(), gbk, utf8]  # line 1 is plain ASCII (\u escapes)
    raw += [b"", line.replace('"a0"', '"a3"').encode("gb18030")[:-2] + b'\xff"}']
    path = tmp_path / "gbk.jsonl"
    path.write_bytes(b"\n".join(raw) + b"\n")
    names, errors = [], []
    for unit in load.plan_units([path], 1 << 20, size=size):
        for item in load.iter_unit(unit):
            if isinstance(item, LoadedRecord):
                names.append((item.project.id, item.project.name))
            else:
                errors.append((item.line, item.message))
    # Line 2 settles GB18030 for the file; line 3 is read in it wherever its block starts.
    assert names == [("a0", "x"), ("a1", "项目一"), ("a2", "项目".encode().decode("gb18030"))]
    assert [line for line, _ in errors] == [5] and "GB18030" in errors[0][1]


def test_input_is_consumed_lazily() -> None:
    taken: list[Path] = []

    def paths():
        for path in sorted(FIXTURES.glob("0*.yaml")):
            taken.append(path)
            yield path

    records = iter_records(paths())
    first = next(item for item in records if isinstance(item, LoadedRecord))
    assert first.project.id == "rural-revitalization"
    assert len(taken) == 1


def test_findings_leave_before_the_input_is_read(monkeypatch) -> None:
    """Records are checked in blocks; a block's findings leave before the next is read."""
    monkeypatch.setattr(check, "BLOCK", 2)
    events: list[str] = []
    real_read = load.read

    def read(path, *args):
        events.append(f"read {path.name}")
        return real_read(path, *args)

    class Sink(pipeline.Collect):
        def write(self, findings):
            events.append(f"out {findings[0].record}")

    monkeypatch.setattr(load, "read", read)
    run = pipeline.Run(RulebookSpec(RULES), pipeline.Sources((FIXTURES,)))
    pipeline.execute(run, lambda _: Sink())
    first = events.index("out rural-revitalization")
    assert events.index("read 02-village-public-welfare.yaml") < first
    assert first < events.index("read 03-special-bonds.yaml")


def test_a_block_finds_what_each_record_finds_alone(generated: Path) -> None:
    # A block asserts its records' facts of a kind together; counts stay each record's own.
    checker = Checker(RulebookSpec(RULES).load())
    records = [r for r in iter_records([generated]) if isinstance(r, LoadedRecord)][:200]
    for rule in checker.rulebook.rules:  # every rule's examples: each fires or is quiet
        for fragment in [*rule.rule.examples.fire, *rule.rule.examples.quiet]:
            records.append(example_record(fragment, rule.file))
    random.Random(7).shuffle(records)
    together = checker.check_all(records)
    alone = [checker.check(record) for record in records]
    outcome = attrgetter("record", "findings", "errors", "facts", "asserted", "firings")
    assert [outcome(c) for c in together] == [outcome(c) for c in alone]
    assert sum(len(c.findings) for c in together) > 300


def test_a_records_anchor_is_made_when_asked_and_crosses_processes(generated: Path) -> None:
    # A record's anchor is made only when asked for; its place is the anchor's, in JSON Lines
    # and YAML alike, and what another process gets holds the anchor, not the document.
    checker = Checker(RulebookSpec(RULES).load())
    records = [r for r in iter_records([generated]) if isinstance(r, LoadedRecord)][:50]
    records += [r for r in iter_records([FIXTURES]) if isinstance(r, LoadedRecord)]
    for record, checked in zip(records, checker.check_all(records), strict=True):
        expected = record.doc.error(("id",), "")
        assert "anchor" not in vars(checked)
        assert checked.place() == expected.short
        sent = pickle.loads(pickle.dumps(checked))
        assert sent.doc is None
        assert str(sent.anchor) == str(checked.anchor) == str(expected)
        assert (sent.anchor.col, sent.anchor.field) == (expected.col, expected.field) != (1, "")
        assert sent.place() == expected.short


def test_counts_are_written_as_members_writes_them(generated: Path, monkeypatch) -> None:
    # The checker writes a fact's counts itself (whole numbers as floats), as members would.
    checker = Checker(RulebookSpec(RULES).load())
    written: list[tuple[str, str]] = []
    counts = Checker._counts

    def kept(self: Checker, fact: Fact, tally: dict) -> str:
        text = counts(self, fact, tally)
        fields = [a.field for a in self.counts[fact.kind]]
        written.append((text, members(fact.values, fields)))
        return text

    monkeypatch.setattr(Checker, "_counts", kept)
    records = [r for r in iter_records([generated]) if isinstance(r, LoadedRecord)][:300]
    checker.check_all(records)
    assert [mine for mine, _ in written] == [theirs for _, theirs in written]
    assert sum(text.count(":") for text, _ in written) > 100  # counts were written


def test_a_run_on_records_imports_no_office_library(tmp_path: Path) -> None:
    # Each of them takes a noticeable part of a second to import, in every process and every
    # --jobs worker; only workbooks, forms and drafts need them.
    out = str(tmp_path / "o.txt")
    code = (
        "import sys\nfrom auditcheck.cli import main\n"
        f"try:\n    main(['run', 'fixtures/2023', '--jobs', '2', '-o', {out!r}])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('openpyxl', 'docx', 'xlrd', 'matplotlib') if m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip() == "[]", proc.stderr
    assert (tmp_path / "o.txt").read_text("utf-8")  # the run did write its findings
