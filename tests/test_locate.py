import dataclasses
from pathlib import Path

import pytest

from auditcheck.locate import (
    CellPosition,
    LocatedError,
    Position,
    dotted,
    parse,
    read,
    validate,
)
from auditcheck.records.model import Project


def test_positions_point_at_keys_and_items() -> None:
    doc = parse("name: 项目\nsubitems:\n  - name: 子项\n    spent: 1.5\n", "f.yaml")
    assert doc.data == {"name": "项目", "subitems": [{"name": "子项", "spent": 1.5}]}
    assert doc.position(("subitems", 0, "spent")) == Position(4, 5)
    assert doc.position(("name",)) == Position(1, 1)


def test_position_falls_back_to_enclosing_value() -> None:
    doc = parse("a:\n  b: 1\n", "f.yaml")
    assert doc.position(("a", "missing")) == Position(1, 1)


def test_syntax_error_is_located() -> None:
    with pytest.raises(LocatedError) as info:
        parse("a: 1\nb: [1, 2\nc: 3\n", "bad.yaml")
    err = info.value
    assert err.file == "bad.yaml"
    assert err.line >= 2
    assert "YAML syntax error" in str(err)
    assert str(err).startswith(f"bad.yaml:{err.line}:{err.col}:")


def test_duplicate_key_is_an_error_naming_both_lines() -> None:
    with pytest.raises(LocatedError) as info:
        parse("spent: 1\nbudget: 2\nspent: 3\n", "d.yaml")
    assert info.value.line == 3
    assert "line 1" in info.value.message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("", "empty"), ("a: 1\n---\nb: 2\n", "more than one YAML document")],
)
def test_empty_and_multi_document_files(text: str, fragment: str) -> None:
    with pytest.raises(LocatedError, match=fragment):
        parse(text, "x.yaml")


def test_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(LocatedError, match="alias expansion"):
        parse("\n".join(lines) + "\n", "bomb.yaml")


def test_gbk_and_bom_files_are_read_as_written(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("name: 项目\n".encode("gbk"))
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("name: 项目\n".encode("utf-8-sig"))
    assert read(gbk).data == read(bom).data == {"name": "项目"}


def test_undecodable_and_binary_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"name: \xff\xfe\xff\n")
    with pytest.raises(LocatedError, match="neither UTF-8 nor GBK"):
        read(junk)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"a: 1\n\x00\x01\x02")
    with pytest.raises(LocatedError, match="binary data") as info:
        read(binary)
    assert info.value.line == 2


def test_oversized_file_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: 1\n" * 1000, "utf-8")
    with pytest.raises(LocatedError, match="over the"):
        read(big, max_bytes=100)


def test_dotted_paths() -> None:
    assert dotted(("subitems", 0, "spent")) == "subitems[0].spent"
    assert dotted(()) == ""


@pytest.mark.parametrize(
    ("field", "written", "hint"),
    [
        ("budget", "67,289.03", "write it as a plain number: 67289.03"),
        (
            "budget",
            "15645.41万元",
            "write it as a plain number: 15645.41 (the unit 万元 is implied)",
        ),
        ("budget", "387664.62元", "amounts are in 万元: write 38.766462"),
        ("budget", "1,234,567.891", "write it as a plain number: 1234567.891"),
        ("stated_execution_rate", "５７.８１％", "plain number: 57.81 (the unit % is implied)"),
        ("budget", "90.00", "write it as a plain number: 90"),
        ("budget", "约100", "write a number"),
        # No figure where the text could mean two, or is in another unit than the field.
        (
            "budget",
            "12,5",
            "may be a decimal point or a thousands separator; write the figure "
            "in plain digits, with a point for decimals",
        ),
        (
            "budget",
            "1.234,5",
            "may be a decimal point or a thousands separator; write the "
            "figure in plain digits, with a point for decimals",
        ),
        ("budget", "50%", "this is an amount in 万元, not in %; write the figure in its unit"),
        (
            "stated_execution_rate",
            "90万元",
            "this is a rate in percent, not in 万元; write the figure in its unit",
        ),
        (
            "budget",
            "1" + "0" * 5000,
            "larger than 10^15: no figure is this large; check the number and its unit",
        ),
    ],
)
def test_number_hints_keep_every_digit(field: str, written: str, hint: str) -> None:
    doc = parse(f"id: p1\nname: 项目\n{field}: '{written}'\n", "p.yaml")
    _, [error] = validate(Project, doc)
    assert error.message.endswith(hint), error.message


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [
        ("spnet", "did you mean 'spent'?"),
        ("budgt", "did you mean 'budget'?"),
        ("status", None),  # not 'targets'
        ("total", None),  # not 'goal'
        ("notes", None),  # not 'units'
    ],
)
def test_did_you_mean_only_for_close_names(key: str, suggestion: str | None) -> None:
    doc = parse(f"id: p1\nname: 项目\nsubitems:\n  - {{name: 子项, {key}: 1}}\n", "p.yaml")
    _, [error] = validate(Project, doc)
    if suggestion:
        assert suggestion in error.message
    else:
        assert error.message == "unknown field; remove it or check the spelling"


@pytest.mark.parametrize(
    ("written", "value"),
    [("12", 12), ("+12", 12), ("-3", -3), (".5", 0.5), ("010.5", 10.5), ("1.5e+3", 1500.0)],
)
def test_decimal_numbers_are_read_as_written(written: str, value: float) -> None:
    assert parse(f"a: {written}\n", "p.yaml").data == {"a": value}


def test_negative_zero_is_read_as_zero() -> None:
    assert str(parse("a: -0.0\n", "p.yaml").data["a"]) == "0.0"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("010", "a leading 0 makes YAML read 010 as the octal number 8; write 10"),
        ("-007", "a leading 0 makes YAML read -007 as the octal number -7; write -7"),
        ("0x10", "YAML reads 0x10 as a hexadecimal or binary number (16)"),
        ("0b11", "YAML reads 0b11 as a hexadecimal or binary number (3)"),
        ("1:30", "YAML reads 1:30 as a base-60 number (90)"),
        ("1_000", "digits grouped with _ are not read; write 1000"),
        ("1_000.5", "digits grouped with _ are not read; write 1000.5"),
    ],
)
def test_yaml_1_1_numbers_are_refused(written: str, message: str) -> None:
    with pytest.raises(LocatedError) as caught:
        parse(f"id: p1\nbudget: {written}\n", "p.yaml")
    assert str(caught.value).startswith(f"p.yaml:2:9: budget: {message}")


def test_lines_are_counted_as_an_editor_shows_them() -> None:
    # PyYAML ends lines at U+2028 and U+0085 too; editors show them inside a line.
    text = "a: 1\n# 注释\u2028\u2028x: 2\u0085\nb: [\n"
    with pytest.raises(LocatedError) as caught:
        parse(text, "p.yaml")
    assert str(caught.value).startswith("p.yaml:4:1: YAML syntax error")
    doc = parse("a: 1\r# 注释\u2028x: 2\nb: 3\n", "p.yaml")
    assert doc.position(("x",)) == Position(2, 6)
    assert doc.position(("b",)) == Position(3, 1)


def test_position_made_by_hand_is_a_frozen_dataclass() -> None:
    # Position fills its dict itself (cheaper than the dataclass's __init__): it must still
    # compare, hash, print and refuse changes as the generated one would, CellPosition too.
    pos = Position(4, 5)
    assert (pos.line, pos.col, pos.place, pos.file) == (4, 5, "", "")
    assert pos == Position(line=4, col=5) and hash(pos) == hash((4, 5))
    assert pos != Position(4, 6) and repr(pos) == "Position(line=4, col=5)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        pos.line = 3  # type: ignore[misc]
    cell = CellPosition(12, 5, "自评表!E12", "a.xlsx")
    assert (cell.line, cell.col, cell.place, cell.file) == (12, 5, "自评表!E12", "a.xlsx")
    assert cell != pos and CellPosition(4, 5) == CellPosition(4, 5)
