"""The small pieces that keep outputs safe: escaping, the template sandbox, atomic files,
regular files only, one decoding policy, errors that cross processes."""

import html
import io
import os
import pickle
import re
import stat
from collections.abc import Callable
from pathlib import Path

import cmarkgfm
import pytest
from jinja2 import TemplateSyntaxError
from jinja2.sandbox import SecurityError

from auditcheck.locate import LineDecoder, LocatedError, decode, open_regular, read_lines
from auditcheck.output import Guarded, OutputError, atomic_path, open_output, refuse_overlap
from auditcheck.render.escape import log_line, markdown_text, printable, visible, xml_text
from auditcheck.templating import (
    MAX_MESSAGE,
    Values,
    _budgeted,
    _context,
    _message,
    compile_template,
    render,
)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("甲\n乙", "甲\\n乙"),
        ("a\rb\tc", "a\\rb\\tc"),
        ("\x1b[31m红", "\\x1b[31m红"),
        ("\x85\u2028\u202e", "\\x85\\u2028\\u202e"),
        ("名\udcff", "名\\udcff"),
        ("普通的文字 100%", "普通的文字 100%"),
    ],
)
def test_printable_escapes_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown
    assert visible("甲\n\r乙") == "甲\n\\r乙"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("::error::x.yaml:1:1: 坏", "./::error::x.yaml:1:1: 坏"),
        (" ::error::伪造", "./ ::error::伪造"),  # the runner trims white space first
        ("\u3000::warning::伪造", "./\u3000::warning::伪造"),
        ("项目##[error]伪造", "项目##\\[error]伪造"),  # the legacy syntax, anywhere in a line
        ("batch/x.yaml: 好", "batch/x.yaml: 好"),
    ],
)
def test_a_log_line_never_starts_a_workflow_command(text: str, line: str) -> None:
    assert log_line(text) == line


def test_xml_text_keeps_what_xml_allows() -> None:
    assert xml_text("甲\x01乙\x0b\ufffe\n\t<&>") == "甲\\x01乙\\x0b\\ufffe\n\t<&>"


@pytest.mark.parametrize(
    "text",
    [
        "[点此](https://evil.example)",
        "![图](x.png)",
        "<img src=x>",
        "www.evil.example",
        "见 http://evil.example/a_b",
        "a|b",
        "*强调* _下划_ ~~删~~ `代码`",
        "项目(工程)验收合格率!",
    ],
)
def test_markdown_text_renders_as_written(text: str) -> None:
    """Rendered by GitHub's own Markdown (a table cell, as our outputs use it): the text
    comes back as written, with no link, image, emphasis or HTML."""
    cell = markdown_text(text)
    page = cmarkgfm.github_flavored_markdown_to_html(f"| 问题 |\n| --- |\n| {cell} |")
    shown = page.split("<td>")[1].split("</td>")[0]
    assert shown == html.escape(text, quote=False)


def test_markdown_text_escapes_only_what_would_act() -> None:
    assert markdown_text("项目(工程)验收合格率!") == "项目(工程)验收合格率!"


@pytest.mark.parametrize(
    "text",
    [
        "联系人 a@evil.example",
        "mailto:a@evil.example",
        "<http://evil.example> <a@evil.example>",
        "HTTPS://evil.example/a ftp://evil.example WWW.evil.example",
        "[点此](https://evil.example) ![图](https://evil.example/x.png)",
    ],
)
def test_github_shows_markdown_text_as_written(text: str) -> None:
    """As GitHub renders it (cmark-gfm): no link, no image, and the text itself."""
    shown = cmarkgfm.github_flavored_markdown_to_html(markdown_text(text))
    assert "<a " not in shown and "<img" not in shown, shown
    plain = html.unescape(re.sub("<[^>]+>", "", shown)).replace("\u200b", "").strip()
    assert plain == text


@pytest.mark.parametrize(
    ("template", "error"),
    [
        ("{{ 'x' * 3000000000 }}", SecurityError),
        ("{{ [1] * 10**9 }}", SecurityError),
        ("{{ 9 ** 99999 }}", SecurityError),
        ("{{ '%9999999999d' % 1 }}", SecurityError),
        ("{% for a in n %}{% for b in n %}{{ n|join }}{% endfor %}{% endfor %}", SecurityError),
    ],
)
def test_messages_cannot_exhaust_memory(template: str, error: type) -> None:
    with pytest.raises(error):
        render(template, {"n": list(range(3000))})


@pytest.mark.parametrize(
    "template",
    [
        "{{ name.center(10) }}",
        "{{ name|center(9) }}",
        "{% macro m() %}{% endmacro %}",
        "{{ range(3) }}",
    ],
)
def test_messages_may_not_call_or_inflate(template: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        compile_template(template)


def test_a_long_but_reasonable_message_renders() -> None:
    assert len(render("{{ 'x' * n }}", {"n": MAX_MESSAGE})) == MAX_MESSAGE


# Messages without loops, joins or +, hostile ones among them: rendered without the budget.
LOOP_FREE = [
    "{{ name }}的{{ n|length }}项",
    "  {{ name }}  ",
    "{% if n %}{{ n|join('、') }}{% else %}无{% endif %}",
    "{% set a = name %}{{ a|upper }}",
    "{{ missing }}",
    "{{ 'x' * 20000 }}{{ missing }}",  # too long before it fails
    "{{ missing }}{{ 'x' * 20000 }}",
    "{{ 'x' * 20000 }}",
    "{{ 'x' * 9000 }}{{ 'y' * 2000 }}",  # too long only as a whole
    "{{ name * 2 }}",  # long, and allowed when the data is long
    "{{ 'x' * 3000000000 }}",
    "{{ 9 ** 99999 }}",
    "{{ '%d' % 1 }}",
    "{{ 1 / 0 }}",
    "{{ n|first }}",
    "{{ name.upper }}",
]
CONTEXTS = [{"name": "项目", "n": []}, {"name": "长" * 8000, "n": list(range(3000))}]


def _outcome(render: Callable[[], str]) -> tuple[str, str]:
    try:
        return ("text", render())
    except Exception as exc:
        return (type(exc).__name__, str(exc))


@pytest.mark.parametrize("template", LOOP_FREE)
@pytest.mark.parametrize("context", CONTEXTS)
def test_loop_free_messages_render_as_under_the_budget(template: str, context: dict) -> None:
    assert not _message(template).budgeted
    bounded = _outcome(lambda: _budgeted(compile_template(template), dict(context)))
    assert _outcome(lambda: render(template, dict(context))) == bounded


@pytest.mark.parametrize(
    "template",
    [
        *LOOP_FREE,
        "{% for a in n %}{% set b = a %}{{ b }}{% endfor %}",
        "{{ name ~ name }}",
        # Names set at the top, before and after they are read, in a branch, read in a loop:
        # the context resolves names from the values alone (templating._context).
        "{{ name }}{% set name = 'y' %}{{ name }}",
        "{% if n %}{% set a = name %}{% endif %}{% for i in n %}{{ a }}{{ b }}{% endfor %}{{ a }}",
        "{% for i in n %}{{ b }}{% endfor %}{% set b = name %}{{ b }}",
    ],
)
@pytest.mark.parametrize("context", CONTEXTS)
def test_a_message_renders_in_its_context_as_in_jinjas_own(template: str, context: dict) -> None:
    compiled = compile_template(template)
    jinjas = compiled.new_context(dict(context), shared=True)
    expected = _outcome(lambda: "".join(compiled.root_render_func(jinjas)))
    for values in (dict(context), Values(context)):
        ours = _context(compiled, values)
        assert _outcome(lambda c=ours: "".join(compiled.root_render_func(c))) == expected
        assert (ours.vars, ours.exported_vars) == (jinjas.vars, jinjas.exported_vars)


@pytest.mark.parametrize(
    "template", ["{% for a in n %}{{ a }}{% endfor %}", "{{ name ~ name }}", "{{ n + n }}"]
)
def test_loops_joins_and_plus_render_under_the_budget(template: str) -> None:
    assert _message(template).budgeted


def test_outputs_that_are_inputs_are_refused(tmp_path: Path) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "r.yaml").write_text("x", "utf-8")
    (tmp_path / "link.json").symlink_to(batch / "r.yaml")
    for output, fragment in [
        (batch / "r.yaml", "inside"),
        (batch / "new.json", "inside"),
        (tmp_path / "link.json", "inside"),
    ]:
        with pytest.raises(OutputError, match=fragment):
            refuse_overlap([output], [batch])
    with pytest.raises(OutputError, match="reads this file"):
        refuse_overlap([tmp_path / "link.json"], [batch / "r.yaml"])
    refuse_overlap([tmp_path / "out.json", Path("/dev/null")], [batch])


def test_a_failed_write_leaves_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", "utf-8")
    target.chmod(0o640)
    with pytest.raises(RuntimeError), open_output(target) as out:
        out.write("half")
        raise RuntimeError
    assert target.read_text("utf-8") == "old"
    with open_output(target) as out:
        out.write("new")
    assert target.read_text("utf-8") == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_bytes_go_out_only_where_the_stream_would_write_the_same(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    with open_output(target) as out:
        assert out.codec == ("utf-8", "backslashreplace")
        out.write("前\n")
        out.write_bytes("中\ud800\n".encode(*out.codec))  # a lone surrogate, as text writes it
        out.write("后\n")
    assert target.read_bytes() == "前\n中\\ud800\n后\n".encode()
    with (tmp_path / "gbk.txt").open("w", encoding="gbk") as gbk:
        assert Guarded(gbk, "gbk").codec is None
    assert Guarded(io.StringIO(), "memory").codec is None


def test_write_errors_name_the_output(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="no folder"), atomic_path(tmp_path / "no" / "x"):
        pass
    with pytest.raises(OutputError, match="/dev/full"), open_output(Path("/dev/full")) as out:
        out.write("x" * 100_000)


def test_a_fifo_is_refused_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "r.yaml"
    os.mkfifo(fifo)
    with pytest.raises(LocatedError, match="named pipe"):
        open_regular(fifo, "r.yaml")  # would block forever if it were opened


def test_lines_decode_with_one_policy_and_fail_alone() -> None:
    decode = LineDecoder("r.csv")
    assert decode("\ufeffid,名称\n".encode(), 1) == "id,名称\n"
    with pytest.raises(LocatedError) as error:
        decode("名称\n".encode("gbk"), 2)
    assert (error.value.line, error.value.col) == (2, 1)
    gbk = LineDecoder("g.csv")
    assert gbk("名称\n".encode("gbk"), 1) == "名称\n"
    assert gbk("代码\n".encode("gbk"), 2) == "代码\n"


def test_long_lines_are_skipped_in_bounded_pieces(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_bytes(b"short\n" + b"x" * 5000 + b"\nafter\n")
    with path.open("rb") as handle:
        got = list(read_lines(handle, "r.jsonl", 100))
    assert got[0] == (1, b"short\n") and got[2] == (3, b"after\n")
    assert isinstance(got[1][1], LocatedError) and "4.9 KB" in got[1][1].message


def test_located_errors_cross_processes_whole() -> None:
    error = LocatedError("a.xlsx", 12, 5, "budget", "坏", "Sheet1!E12")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) == "a.xlsx:Sheet1!E12: budget: 坏"
    assert (again.line, again.col) == (12, 5)


def test_damaged_utf8_is_an_error_not_gb18030_mojibake() -> None:
    damaged = "名称：测试项目\n".encode() + b"\xff" + "预算资金\n".encode()
    with pytest.raises(LocatedError) as error:
        decode(damaged, "r.yaml")
    assert (error.value.line, error.value.col) == (2, 1)
    assert decode("项目单位区财政局".encode("gbk"), "g.yaml") == "项目单位区财政局"
    lines = LineDecoder("r.csv")
    with pytest.raises(LocatedError):
        lines("预算资金项目".encode() + b"\xff\n", 1)
    assert lines("名称\n".encode("gbk"), 2) == "名称\n"
