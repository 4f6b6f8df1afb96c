"""The condition language: a small subset of Python expressions → durable_rules JSON.

Parsed with :mod:`ast` and never evaluated. What is accepted:

- comparisons ``< <= > >= == !=`` between a fact field and a constant, a rule
  parameter, another field of the same fact, or ``+ - * /`` of those
  (``balance > budget * share / 100``); one side must be a single field;
- ``and``, ``or``, ``not``, parentheses; chained ``a < b < c``;
- ``field in ["a", "b"]`` and ``field not in [...]`` with constants;
- ``field is defined`` / ``field is not defined``;
- a bare boolean field (``connected``) means ``connected == true``;
  ``not connected`` means ``connected == false``.

A comparison with a field the fact does not have (the source gave no figure) is
false, and so is its negation: a rule never fires on missing data. ``not`` is
pushed down to the comparisons by De Morgan's laws to keep that true.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from auditcheck.vocabulary import FactField

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


class ConditionError(ValueError):
    """A condition that cannot be compiled; ``column`` is 1-based within the condition text."""

    def __init__(self, message: str, column: int = 1) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Leaf:
    """One comparison: ``field op value`` where value is a constant or an arithmetic tree."""

    field: str
    op: str  # one of _NEGATE's keys, or "defined" / "undefined"
    value: Any = None


@dataclass(frozen=True)
class Junction:
    """Comparisons joined by ``and`` or ``or``."""

    op: str  # "and" | "or"
    parts: tuple[Node, ...]


Node = Leaf | Junction


@dataclass(frozen=True)
class _Field:
    name: str
    type: str


@dataclass(frozen=True)
class _Expr:
    """Arithmetic over fields, already in durable's right-hand-side JSON form."""

    json: Any
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Compiled:
    """A compiled condition: the durable JSON and the fact fields it reads."""

    json: dict[str, Any]
    fields: frozenset[str]
    leaves: tuple[Leaf, ...]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _negate(node: Node) -> Node:
    if isinstance(node, Junction):
        return Junction("or" if node.op == "and" else "and", tuple(_negate(p) for p in node.parts))
    if node.op in ("defined", "undefined"):
        return Leaf(node.field, "undefined" if node.op == "defined" else "defined")
    return Leaf(node.field, _NEGATE[node.op], node.value)


class _Compiler:
    def __init__(self, fields: Mapping[str, FactField], params: Mapping[str, Any]) -> None:
        self.fields = fields
        self.params = params

    def error(self, node: ast.AST, message: str) -> ConditionError:
        return ConditionError(message, getattr(node, "col_offset", 0) + 1)

    def node(self, node: ast.AST) -> Node:
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Junction(op, tuple(self.node(v) for v in node.values))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return _negate(self.node(node.operand))
        if isinstance(node, ast.Compare):
            return self.compare(node)
        operand = self.operand(node)
        if isinstance(operand, _Field) and operand.type == "bool":
            return Leaf(operand.name, "==", True)
        raise self.error(node, "expected a comparison (for example `execution_rate < threshold`)")

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
        left, right = self.operand(left_node), self.operand(right_node)
        if not isinstance(left, _Field):
            if not isinstance(right, _Field):
                raise self.error(left_node, "one side of a comparison must be a single field name")
            left, right, symbol = right, left, _FLIP[symbol]
        self.check_types(left, symbol, right, left_node)
        value = right.json if isinstance(right, _Expr) else right
        if isinstance(right, _Field):
            value = {"$m": right.name}
        return Leaf(left.name, symbol, value)

    def membership(self, left_node: ast.expr, negated: bool, right_node: ast.expr) -> Node:
        field = self.operand(left_node)
        if not isinstance(field, _Field):
            raise self.error(left_node, "`in` needs a field name on its left")
        if not isinstance(right_node, ast.List | ast.Tuple) or not right_node.elts:
            raise self.error(right_node, '`in` needs a non-empty list of constants: ["a", "b"]')
        values = [self.operand(e) for e in right_node.elts]
        if any(isinstance(v, _Field | _Expr) for v in values):
            raise self.error(right_node, "the list after `in` may hold constants only")
        for value in values:
            self.check_types(field, "==", value, right_node)
        if negated:
            return Junction("and", tuple(Leaf(field.name, "!=", v) for v in values))
        return Junction("or", tuple(Leaf(field.name, "==", v) for v in values))

    def check_types(self, field: _Field, symbol: str, right: Any, node: ast.AST) -> None:
        if isinstance(right, _Field):
            kind = right.type
        elif isinstance(right, _Expr):
            kind = "number"
        elif isinstance(right, bool):
            kind = "bool"
        elif _is_number(right):
            kind = "number"
        else:
            kind = "text"
        if kind != field.type:
            raise self.error(node, f"`{field.name}` is {field.type}, compared with {kind}")
        if field.type != "number" and symbol not in ("==", "!="):
            raise self.error(node, f"`{field.name}` is {field.type}: only == and != apply")

    def operand(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.operand(node.operand)
            if _is_number(inner):
                return -inner
            raise self.error(node, "unary minus applies to numbers only")
        if isinstance(node, ast.Name):
            if node.id in _CONSTANTS:
                return _CONSTANTS[node.id]
            if node.id in self.params:
                return self.params[node.id]
            spec = self.fields.get(node.id)
            if spec is None:
                known = ", ".join(sorted(self.fields))
                raise self.error(node, f"unknown name `{node.id}`; fields here: {known}")
            return _Field(node.id, spec.type)
        if isinstance(node, ast.BinOp) and type(node.op) in _ARITH:
            return self.arithmetic(node)
        raise self.error(node, f"unsupported expression `{ast.unparse(node)}`")

    def arithmetic(self, node: ast.BinOp) -> Any:
        durable_op, symbol = _ARITH[type(node.op)]
        left, right = self.operand(node.left), self.operand(node.right)
        operands = []
        for side in (left, right):
            if isinstance(side, _Field):
                if side.type != "number":
                    raise self.error(
                        node, f"`{side.name}` is {side.type}; arithmetic needs numbers"
                    )
                operands.append(_Expr({"$m": side.name}, (side.name,)))
            elif isinstance(side, _Expr) or _is_number(side):
                operands.append(side)
            else:
                raise self.error(node, f"`{symbol}` needs numbers on both sides")
        if not any(isinstance(o, _Expr) for o in operands):
            a, b = float(operands[0]), float(operands[1])
            if symbol == "/" and b == 0:
                raise self.error(node, "division by zero")
            return _FOLD[symbol](a, b)
        # Float constants: durable's $div truncates when both sides are integers.
        sides = [o.json if isinstance(o, _Expr) else float(o) for o in operands]
        used = tuple(f for o in operands if isinstance(o, _Expr) for f in o.fields)
        return _Expr({durable_op: {"$l": sides[0], "$r": sides[1]}}, used)


def _leaf_json(leaf: Leaf) -> dict[str, Any]:
    if leaf.op == "defined":
        return {"$ex": {leaf.field: 1}}
    if leaf.op == "undefined":
        return {"$nex": {leaf.field: 1}}
    value = (
        float(leaf.value)
        if isinstance(leaf.value, int) and not isinstance(leaf.value, bool)
        else leaf.value
    )
    if leaf.op == "==":
        return {leaf.field: value}
    return {_DURABLE_OP[leaf.op]: {leaf.field: value}}


def _to_json(node: Node) -> dict[str, Any]:
    if isinstance(node, Leaf):
        return _leaf_json(node)
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


def compile_condition(
    text: str, fields: Mapping[str, FactField], params: Mapping[str, Any]
) -> Compiled:
    """Compile ``text`` against the fields of a fact kind and the rule's parameter values."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ConditionError(f"syntax error: {exc.msg}", exc.offset or 1) from None
    node = _Compiler(fields, params).node(tree.body)
    leaves = tuple(_leaves(node))
    used = {leaf.field for leaf in leaves} | {f for leaf in leaves for f in _fields_of(leaf.value)}
    return Compiled(json=_to_json(node), fields=frozenset(used), leaves=leaves)
