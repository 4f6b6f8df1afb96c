"""The condition language: a small subset of Python expressions → durable_rules JSON.

Parsed with :mod:`ast` and never evaluated. What is accepted:

- comparisons ``< <= > >= == !=`` between a fact field and a constant, a rule
  parameter, another field of the same fact, or ``+ - * /`` of those
  (``balance > budget * share / 100``); ``+``/``-`` terms are moved across so
  that one side is a single field (``final_audit - actual_completion > 180``
  becomes ``final_audit > 180 + actual_completion``);
- ``and``, ``or``, ``not``, parentheses; chained ``a < b < c``;
- ``field in ["a", "b"]`` and ``field not in [...]`` with constants;
- ``field is defined`` / ``field is not defined``;
- a bare boolean field (``connected``) means ``connected == true``;
  ``not connected`` means ``connected == false``;
- dates: ``date("2023-12-31")``; a date minus a date is a number of days;
- ``abs(x) > t`` → ``x > t or x < -t`` (and so on for each operator);
- ``evidence.contains('缺少', '未建立')``: the text contains one of the words, decided by
  durable_rules' own pattern match (``$mt`` with ``.*词.*``; see :func:`word_pattern`);
- ``count(targets)`` and ``count(targets, level == "满意度指标")``, ``any(targets, …)``
  over a list of the fact's items (see :class:`Aggregate`).

A comparison with a field the fact does not have (the source gave no figure) is
false, and so is its negation: a rule never fires on missing data. ``not`` is
pushed down to the comparisons by De Morgan's laws to keep that true; a word
test cannot be negated (durable_rules has no negated match).
"""

from __future__ import annotations

import ast
import hashlib
import operator
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from auditcheck.engine import registers
from auditcheck.vocabulary import FIELDS, KINDS, FactField

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}
_DURABLE_OP = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_AST_OP = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_ARITH = {
    ast.Add: ("$add", "+"),
    ast.Sub: ("$sub", "-"),
    ast.Mult: ("$mul", "*"),
    ast.Div: ("$div", "/"),
}
_FOLD = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_CONSTANTS = {"true": True, "false": False, "True": True, "False": False}
# Characters durable's matcher treats as pattern syntax; "%" escapes them (but not - ^ $,
# which are literal outside a class and cannot be escaped).
_SPECIAL = set(".()%*+?[]|{}")


class ConditionError(ValueError):
    """A condition that cannot be compiled; ``column`` is 1-based within the condition text."""

    def __init__(self, message: str, column: int = 1) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Leaf:
    """One comparison: ``field op value`` where value is a constant or an arithmetic tree."""

    field: str
    op: str  # one of _NEGATE's keys, or "defined" / "undefined" / "contains"
    value: Any = None


@dataclass(frozen=True)
class Junction:
    """Comparisons joined by ``and`` or ``or``."""

    op: str  # "and" | "or"
    parts: tuple[Node, ...]


Node = Leaf | Junction


@dataclass(frozen=True)
class Aggregate:
    """``count(list, condition)`` over a fact's items, as a number on the fact.

    The inner condition becomes a hidden rule on the item kind: durable_rules decides
    it for each item, the checker counts the firings per owner and puts the count on
    the owner's fact (under ``field``) before that fact is asserted. Without a
    condition the count is the number of items. An empty list gives no count (a list the
    source does not give is unknown, not zero), nor does a list the record names as
    unstated (the source shows only part of it).
    """

    field: str  # the synthetic field on the owner fact
    list: str  # the owner's list, e.g. "targets"
    kind: str  # the item kind, e.g. "target"
    condition: Compiled | None
    text: str  # as written, for explanations and evidence


@dataclass(frozen=True)
class _Field:
    name: str
    type: str
    choices: tuple[str, ...] = ()
    renamed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Expr:
    """Arithmetic over fields, already in durable's right-hand-side JSON form."""

    json: Any
    fields: tuple[str, ...]
    type: str = "number"  # or "date"


@dataclass(frozen=True)
class Compiled:
    """A compiled condition: the durable JSON, the fact fields it reads, its counts."""

    json: dict[str, Any]
    fields: frozenset[str]
    leaves: tuple[Leaf, ...]
    aggregates: tuple[Aggregate, ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)  # synthetic field → text

    def label(self, name: str) -> str:
        """How a field read by the condition is written in it (counts by their text)."""
        return self.labels.get(name, name)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _type_of(value: Any) -> str:
    if isinstance(value, _Field | _Expr):
        return value.type
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, date):
        return "date"
    return "number" if _is_number(value) else "text"


def _negate(node: Node) -> Node:
    if isinstance(node, Junction):
        return Junction("or" if node.op == "and" else "and", tuple(_negate(p) for p in node.parts))
    if node.op in ("defined", "undefined"):
        return Leaf(node.field, "undefined" if node.op == "defined" else "defined")
    if node.op == "contains":
        raise ConditionError(
            "`not` cannot apply to `.contains()`: durable_rules has no negated match; "
            "test for the words you look for instead"
        )
    return Leaf(node.field, _NEGATE[node.op], node.value)


def _border(word: str) -> bool:
    """True when the word starts the way it ends (业物业): durable's matcher misses some texts."""
    return any(word[:k] == word[-k:] for k in range(1, len(word)))


def word_pattern(word: str) -> str:
    """``.*word.*`` in durable's dialect, the word's pattern characters escaped with ``%``."""
    return ".*" + "".join("%" + c if c in _SPECIAL else c for c in word) + ".*"


def _synthetic(list_name: str, text: str) -> str:
    digest = hashlib.sha256(text.encode()).hexdigest()[:8]
    return f"_count_{list_name}_{digest}"


class _Compiler:
    def __init__(
        self, kind: str, fields: Mapping[str, FactField], params: Mapping[str, Any], text: str
    ) -> None:
        self.kind = kind
        self.fields = fields
        self.params = params
        self.text = text
        self.aggregates: dict[str, Aggregate] = {}

    def error(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, getattr(node, "col_offset", 0) + 1)

    def source(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ast.unparse(node)

    # --- boolean structure ---------------------------------------------------------------------

    def node(self, node: ast.AST) -> Node:
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Junction(op, tuple(self.node(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            try:
                return _negate(self.node(node.operand))
            except ConditionError as exc:
                raise self.error(node, str(exc)) from None
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if self.is_call(node, "contains"):
            return self.contains(node)  # type: ignore[arg-type]
        if self.is_call(node, "matches"):
            raise self.error(
                node,
                "`.matches()` is not available: durable_rules' own matcher misses matches in "
                "patterns with alternatives or several parts (see docs/rules.md); write "
                "evidence.contains('缺少', '未建立') and evidence.contains('管理制度')",
            )
        if self.is_call(node, "any"):
            count = self.aggregate(node)  # type: ignore[arg-type]
            return Leaf(count.name, ">", 0.0)
        operand = self.operand(node)
        if isinstance(operand, _Field) and operand.type == "bool":
            return Leaf(operand.name, "==", True)
        raise self.error(node, "expected a comparison (for example `execution_rate < threshold`)")

    @staticmethod
    def is_call(node: ast.AST, name: str) -> bool:
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        return (isinstance(func, ast.Name) and func.id == name) or (
            isinstance(func, ast.Attribute) and func.attr == name
        )

    def compare(self, node: ast.Compare) -> Node:
        parts: list[Node] = []
        left_node = node.left
        for op, right_node in zip(node.ops, node.comparators, strict=True):
            parts.append(self.one_comparison(left_node, op, right_node))
            left_node = right_node
        return parts[0] if len(parts) == 1 else Junction("and", tuple(parts))

    def one_comparison(self, left_node: ast.expr, op: ast.cmpop, right_node: ast.expr) -> Node:
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right_node, ast.Name) and right_node.id == "defined"):
                raise self.error(right_node, "`is` is only used as `field is defined`")
            target = self.operand(left_node)
            if not isinstance(target, _Field):
                raise self.error(left_node, "`is defined` needs a field name on its left")
            return Leaf(target.name, "defined" if isinstance(op, ast.Is) else "undefined")
        if isinstance(op, ast.In | ast.NotIn):
            return self.membership(left_node, isinstance(op, ast.NotIn), right_node)
        symbol = _AST_OP.get(type(op))
        if symbol is None:
            raise self.error(left_node, "unsupported comparison operator")
        if self.is_call(right_node, "abs") and not self.is_call(left_node, "abs"):
            left_node, right_node, symbol = right_node, left_node, _FLIP[symbol]
        if self.is_call(left_node, "abs"):
            return self.absolute(left_node, symbol, right_node)  # type: ignore[arg-type]
        left_node, symbol, right_node = self.isolate(left_node, symbol, right_node)
        left, right = self.operand(left_node), self.operand(right_node)
        if not isinstance(left, _Field):
            if not isinstance(right, _Field):
                raise self.error(left_node, "one side of a comparison must be a single field name")
            left, right, symbol = right, left, _FLIP[symbol]
        self.check_types(left, symbol, right, left_node)
        if isinstance(right, _Field):
            value: Any = {"$m": right.name}
        elif isinstance(right, _Expr):
            value = right.json
        elif isinstance(right, date):
            value = float(right.toordinal())
        else:
            value = right
        return Leaf(left.name, symbol, value)

    def isolate(
        self, left: ast.expr, symbol: str, right: ast.expr
    ) -> tuple[ast.expr, str, ast.expr]:
        """Move ``+``/``-`` terms to the right until the left is a single field."""
        if self.single_field(right) and not self.single_field(left):
            left, right, symbol = right, left, _FLIP[symbol]
        while isinstance(left, ast.BinOp) and isinstance(left.op, ast.Add | ast.Sub):
            minus = isinstance(left.op, ast.Sub)
            if self.has_field(left.left):
                inverse: ast.operator = ast.Add() if minus else ast.Sub()
                left, right = (
                    left.left,
                    ast.copy_location(ast.BinOp(right, inverse, left.right), right),
                )
            elif self.has_field(left.right):
                if minus:  # c − x OP r  ⇔  x FLIP(OP) c − r
                    moved = ast.BinOp(left.left, ast.Sub(), right)
                    left, right, symbol = left.right, moved, _FLIP[symbol]
                else:
                    moved = ast.BinOp(right, ast.Sub(), left.left)
                    left, right = left.right, moved
                ast.copy_location(right, left)
            else:
                break
        return left, symbol, right

    def single_field(self, node: ast.expr) -> bool:
        return isinstance(node, ast.Name) and node.id in self.fields and node.id not in self.params

    def has_field(self, node: ast.expr) -> bool:
        return any(
            self.single_field(n) or self.is_call(n, "count")
            for n in ast.walk(node)
            if isinstance(n, ast.expr)
        )

    def absolute(self, call: ast.Call, symbol: str, right: ast.expr) -> Node:
        """``abs(x) OP r`` as comparisons of ``x`` with ``r`` and ``-r``."""
        if len(call.args) != 1 or call.keywords:
            raise self.error(call, "`abs()` takes one expression")
        inner = call.args[0]
        negative = ast.copy_location(ast.UnaryOp(ast.USub(), right), right)

        def cmp(op: ast.cmpop, value: ast.expr) -> ast.Compare:
            return ast.copy_location(ast.Compare(inner, [op], [value]), call)

        ops: dict[str, tuple[str, ast.cmpop, ast.cmpop]] = {
            ">": ("or", ast.Gt(), ast.Lt()),
            ">=": ("or", ast.GtE(), ast.LtE()),
            "<": ("and", ast.Lt(), ast.Gt()),
            "<=": ("and", ast.LtE(), ast.GtE()),
            "==": ("or", ast.Eq(), ast.Eq()),
            "!=": ("and", ast.NotEq(), ast.NotEq()),
        }
        join, first, second = ops[symbol]
        return Junction(join, (self.node(cmp(first, right)), self.node(cmp(second, negative))))

    def membership(self, left_node: ast.expr, negated: bool, right_node: ast.expr) -> Node:
        field_ = self.operand(left_node)
        if not isinstance(field_, _Field):
            raise self.error(left_node, "`in` needs a field name on its left")
        if not isinstance(right_node, ast.List | ast.Tuple) or not right_node.elts:
            raise self.error(right_node, '`in` needs a non-empty list of constants: ["a", "b"]')
        values = [self.operand(e) for e in right_node.elts]
        if any(isinstance(v, _Field | _Expr) for v in values):
            raise self.error(right_node, "the list after `in` may hold constants only")
        for value in values:
            self.check_types(field_, "==", value, right_node)
        if negated:
            return Junction("and", tuple(Leaf(field_.name, "!=", v) for v in values))
        return Junction("or", tuple(Leaf(field_.name, "==", v) for v in values))

    def check_types(self, field_: _Field, symbol: str, right: Any, node: ast.AST) -> None:
        kind = _type_of(right)
        if kind != field_.type:
            raise self.error(node, f"`{field_.name}` is {field_.type}, compared with {kind}")
        if field_.type in ("text", "bool") and symbol not in ("==", "!="):
            raise self.error(node, f"`{field_.name}` is {field_.type}: only == and != apply")
        if field_.choices and isinstance(right, str) and right not in field_.choices:
            if right in field_.renamed:
                new = field_.renamed[right]
                raise self.error(node, f"`{field_.name}` '{right}' is now written '{new}'")
            many = len(field_.choices) > 8
            known = "see `auditcheck rules fields`" if many else " / ".join(field_.choices)
            raise self.error(node, f"`{field_.name}` is never '{right}'; its values: {known}")

    # --- operands --------------------------------------------------------------------------------

    def operand(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return self.minus(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return self.arithmetic(node)
        if self.is_call(node, "date"):
            return self.date(node)  # type: ignore[arg-type]
        if self.is_call(node, "count"):
            return self.aggregate(node)  # type: ignore[arg-type]
        raise self.error(node, f"unsupported expression `{ast.unparse(node)}`")

    def name(self, node: ast.Name) -> Any:
        if node.id in _CONSTANTS:
            return _CONSTANTS[node.id]
        if node.id in self.params:
            return self.params[node.id]
        spec = self.fields.get(node.id)
        if spec is None:
            known = ", ".join(sorted(self.fields))
            raise self.error(node, f"unknown name `{node.id}`; fields here: {known}")
        choices = spec.choices() if spec.choices else ()
        return _Field(node.id, spec.type, choices, spec.renamed() if spec.renamed else {})

    def minus(self, node: ast.UnaryOp) -> Any:
        inner = self.operand(node.operand)
        if _is_number(inner):
            return -inner
        if isinstance(inner, _Field | _Expr) and inner.type == "number":
            json = {"$m": inner.name} if isinstance(inner, _Field) else inner.json
            used = (inner.name,) if isinstance(inner, _Field) else inner.fields
            return _Expr({"$mul": {"$l": json, "$r": -1.0}}, used)
        raise self.error(node, "unary minus applies to numbers only")

    def date(self, node: ast.Call) -> date:
        args = node.args
        if len(args) != 1 or not isinstance(args[0], ast.Constant) or node.keywords:
            raise self.error(node, 'write a date as date("2023-12-31")')
        try:
            return date.fromisoformat(str(args[0].value))
        except ValueError:
            raise self.error(node, 'write a date as date("2023-12-31")') from None

    def contains(self, node: ast.Call) -> Node:
        """``field.contains('词', …)``: the text contains one of the words."""
        func = node.func
        if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
            raise self.error(node, "write a word test as field.contains('词')")
        target = self.operand(func.value)
        if not isinstance(target, _Field) or target.type != "text":
            raise self.error(node, "`.contains()` applies to a text field")
        words = [a.value if isinstance(a, ast.Constant) else None for a in node.args]
        if not words or node.keywords or not all(isinstance(w, str) and w for w in words):
            raise self.error(node, "`.contains()` takes one or more words in quotes")
        for arg, word in zip(node.args, words, strict=True):
            if _border(word):  # type: ignore[arg-type]
                raise self.error(
                    arg,
                    f"'{word}' starts the way it ends; durable_rules' matcher misses some texts "
                    "for such words: use a shorter or longer word",
                )
            if not registers(word_pattern(word)):  # type: ignore[arg-type]
                raise self.error(
                    arg,
                    f"durable_rules refuses a match for '{word}' (its matcher fails on some "
                    "repeated letters): use another word",
                )
        leaves = tuple(Leaf(target.name, "contains", w) for w in words)
        return leaves[0] if len(leaves) == 1 else Junction("or", leaves)

    def aggregate(self, node: ast.Call) -> _Field:
        lists = KINDS[self.kind].lists
        args = node.args
        if not 1 <= len(args) <= 2 or node.keywords or not isinstance(args[0], ast.Name):
            raise self.error(node, "write count(list) or count(list, condition)")
        list_name = args[0].id
        item_kind = lists.get(list_name)
        if item_kind is None:
            known = ", ".join(lists) or "none"
            raise self.error(args[0], f"{self.kind} facts have no list `{list_name}` ({known})")
        inner: Compiled | None = None
        if len(args) == 2:
            inner = _compile_tree(args[1], item_kind, self.params, self.text)
            if inner.aggregates:
                raise self.error(args[1], "a count cannot hold another count")
        # any(list, c) is count(list, c) > 0: both share the count's synthetic field.
        text = "count(" + ", ".join(self.source(a) for a in args) + ")"
        synthetic = _synthetic(list_name, "" if inner is None else self.source(args[1]))
        self.aggregates[synthetic] = Aggregate(synthetic, list_name, item_kind, inner, text)
        return _Field(synthetic, "number")

    def arithmetic(self, node: ast.BinOp) -> Any:
        durable_op, symbol = _ARITH[type(node.op)]
        left, right = self.operand(node.left), self.operand(node.right)
        types = (_type_of(left), _type_of(right))
        result = self.arithmetic_type(node, symbol, types)
        operands = []
        for side in (left, right):
            if isinstance(side, _Field):
                operands.append(_Expr({"$m": side.name}, (side.name,), side.type))
            elif isinstance(side, date):
                operands.append(float(side.toordinal()))
            else:
                operands.append(side)
        if not any(isinstance(o, _Expr) for o in operands):
            a, b = float(operands[0]), float(operands[1])
            if symbol == "/" and b == 0:
                raise self.error(node, "division by zero")
            folded = _FOLD[symbol](a, b)
            return date.fromordinal(int(folded)) if result == "date" else folded
        # Float constants: durable's $div truncates when both sides are integers.
        sides = [o.json if isinstance(o, _Expr) else float(o) for o in operands]
        used = tuple(f for o in operands if isinstance(o, _Expr) for f in o.fields)
        return _Expr({durable_op: {"$l": sides[0], "$r": sides[1]}}, used, result)

    def arithmetic_type(self, node: ast.BinOp, symbol: str, types: tuple[str, str]) -> str:
        """number ∘ number → number; date ± days → date; date − date → days."""
        if types == ("number", "number"):
            return "number"
        if types == ("date", "date") and symbol == "-":
            return "number"
        if "date" in types and "number" in types and symbol in "+-":
            if types == ("number", "date") and symbol == "-":
                raise self.error(node, "a number minus a date means nothing")
            return "date"
        shown = " and ".join(sorted(set(types)))
        raise self.error(node, f"`{symbol}` does not apply to {shown}")


def leaf_json(leaf: Leaf) -> dict[str, Any]:
    """One comparison alone, in durable's JSON (explanations ask the engine leaf by leaf)."""
    if leaf.op == "defined":
        return {"$ex": {leaf.field: 1}}
    if leaf.op == "undefined":
        return {"$nex": {leaf.field: 1}}
    if leaf.op == "contains":
        return {"$mt": {leaf.field: word_pattern(leaf.value)}}
    value = (
        float(leaf.value)
        if isinstance(leaf.value, int) and not isinstance(leaf.value, bool)
        else leaf.value
    )
    compare = (
        {leaf.field: value} if leaf.op == "==" else {_DURABLE_OP[leaf.op]: {leaf.field: value}}
    )
    # durable_rules reads a field the fact lacks on the right-hand side ({"$m": …}) as a stale
    # value left by an earlier fact (measured: tests/test_condition.py); ask it to exist first,
    # so that missing data never fires here either.
    others = sorted(_fields_of(value))
    if not others:
        return compare
    return {"$and": [*({"$ex": {name: 1}} for name in others), compare]}


def _to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Leaf):
        return leaf_json(node)
    return {f"${node.op}": [_to_json(p) for p in node.parts]}


def _leaves(node: Node) -> list[Leaf]:
    if isinstance(node, Leaf):
        return [node]
    return [leaf for part in node.parts for leaf in _leaves(part)]


def _fields_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        if "$m" in value:
            return {value["$m"]}
        return {f for v in value.values() for f in _fields_of(v)}
    return set()


def leaf_fields(leaf: Leaf) -> set[str]:
    """The fields one comparison reads (its own and those of its right-hand side)."""
    return {leaf.field} | _fields_of(leaf.value)


def _compile_tree(tree: ast.AST, kind: str, params: Mapping[str, Any], text: str) -> Compiled:
    compiler = _Compiler(kind, FIELDS[kind], params, text)
    node = compiler.node(tree)
    leaves = tuple(_leaves(node))
    used = {f for leaf in leaves for f in leaf_fields(leaf)}
    aggregates = tuple(compiler.aggregates.values())
    return Compiled(
        json=_to_json(node),
        fields=frozenset(used),
        leaves=leaves,
        aggregates=aggregates,
        labels={a.field: a.text for a in aggregates},
    )


def compile_condition(text: str, kind: str, params: Mapping[str, Any]) -> Compiled:
    """Compile ``text`` against the fields of fact ``kind`` and the rule's parameter values."""
    # A condition may span lines (YAML block scalars keep some line breaks): it is one expression.
    source = text.strip().replace("\n", " ")
    try:
        with warnings.catch_warnings():  # "\d" in a pattern is refused below, with a hint
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"syntax error: {exc.msg}", exc.offset or 1) from None
    return _compile_tree(tree.body, kind, params, source)
