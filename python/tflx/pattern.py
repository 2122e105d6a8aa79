"""Declarative DAG patterns over MLIR ops: `tf.Mul(%x, tf.Sigmoid(%x)){...}`.

The language of custom-op sources (tflx.custom_op) and of plugin rules' `match=`.

    p = Pattern.parse("tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))")
    p.root                # "tf.Mul": the root op's name (register the rule on it)
    m = p.match(op)       # None, or {"x": <ir.Value>, "beta": 1.5}

Grammar: `op.name(arg, ...){attr=$capture, ...}`; both parts are optional. An arg is `%name`
(any value; the same name twice must be the same value), a nested pattern (the operand's
defining op must match it) or `_` (anything). `{attr=$c}` captures the attribute's value as a
Python value (tflx.attrs.from_attr; a `tf.Const`'s one-element `value` as its scalar); the same
capture twice must be equal. Without `(...)` the operands are not constrained. Binary ops that
commute (tf.Mul, tf.AddV2, ...) match their operands in either order.
"""
from __future__ import annotations

import dataclasses
import re

from .attrs import from_attr

COMMUTATIVE = frozenset({"tf.Mul", "tf.AddV2", "tf.Add", "tf.Maximum", "tf.Minimum", "tf.LogicalAnd",
                         "tf.LogicalOr", "tf.Equal", "tf.NotEqual"})


@dataclasses.dataclass
class _Node:
    op: str
    args: list | None  # None: operands not constrained
    binds: dict  # attribute name -> capture name


_TOKEN = re.compile(r"\s*(?:(?P<var>%[A-Za-z_][A-Za-z0-9_]*)|(?P<cap>\$[A-Za-z_][A-Za-z0-9_]*)|"
                    r"(?P<name>[A-Za-z_][A-Za-z0-9_.]*)|(?P<punct>[(),{}=]))")


def _tokens(text: str):
    pos, out = 0, []
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m:
            raise ValueError(f"unexpected text at column {pos + 1}: {text[pos:pos + 12]!r}")
        out.append(m.group(m.lastgroup))
        pos = m.end()
    return out


def parse_pattern(text: str) -> _Node:
    """The pattern text as a tree of `_Node`s; ValueError naming what is wrong."""
    toks = _tokens(text)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else None

    def take(expected=None):
        nonlocal pos
        t = peek()
        if t is None or (expected is not None and t != expected):
            raise ValueError(f"expected {expected or 'more'} but found {t or 'the end'}")
        pos += 1
        return t

    def node():
        name = take()
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z0-9_.]+", name):
            raise ValueError(f"expected an op name like tf.Mul, found {name!r}")
        args, binds = None, {}
        if peek() == "(":
            take("(")
            args = []
            while peek() != ")":
                t = peek()
                if t is not None and t.startswith("%"):
                    args.append(take())
                elif t == "_":
                    take()
                    args.append("_")
                else:
                    args.append(node())
                if peek() == ",":
                    take(",")
                elif peek() != ")":
                    raise ValueError(f"expected ',' or ')' but found {peek() or 'the end'}")
            take(")")
        if peek() == "{":
            take("{")
            while peek() != "}":
                attr = take()
                take("=")
                cap = take()
                if not cap.startswith("$"):
                    raise ValueError(f"attribute '{attr}' must bind a $capture, found {cap!r}")
                binds[attr] = cap[1:]
                if peek() == ",":
                    take(",")
            take("}")
        return _Node(name, args, binds)

    root = node()
    if pos != len(toks):
        raise ValueError(f"unexpected {toks[pos]!r} after the pattern")
    return root


def _pattern_names(n: _Node, vars_: set, caps: set) -> None:
    """Collect the `%value` names and `$capture` names a pattern binds."""
    for a in n.args or ():
        if isinstance(a, _Node):
            _pattern_names(a, vars_, caps)
        elif a.startswith("%"):
            vars_.add(a[1:])
    caps.update(n.binds.values())


def _owner_op(value):
    from .mlir import ir
    owner = value.owner
    if isinstance(owner, (ir.Operation, ir.OpView)):
        return owner.operation
    return None


def _match(node: _Node, op, env: dict, caps: dict) -> bool:
    """Does `op` match `node`? Binds `%` names in `env` and `$` captures in `caps` (left as they
    were when it does not)."""
    if op is None or op.name != node.op:
        return False
    for attr, cap in node.binds.items():
        if attr not in op.attributes:
            return False
        value = from_attr(op.attributes[attr])
        if cap in caps and caps[cap] != value:
            return False
        caps[cap] = value
    if node.args is None:
        return True
    operands = list(op.operands)
    if len(operands) != len(node.args):
        return False
    orders = [operands]
    if node.op in COMMUTATIVE and len(operands) == 2:
        orders.append(operands[::-1])
    for order in orders:
        e, c = dict(env), dict(caps)
        if all(_match_arg(a, v, e, c) for a, v in zip(node.args, order)):
            env.clear(), env.update(e)
            caps.clear(), caps.update(c)
            return True
    return False


def _match_arg(arg, value, env: dict, caps: dict) -> bool:
    if isinstance(arg, _Node):
        return _match(arg, _owner_op(value), env, caps)
    if arg == "_":
        return True
    name = arg[1:]
    if name in env:
        return env[name] == value
    env[name] = value
    return True


class Pattern:
    """A parsed DAG pattern (see the module doc): `Pattern.parse(text)`, `.match(op)`."""

    def __init__(self, text: str, tree: _Node):
        self.text = text
        self.tree = tree
        self.root = tree.op  # the root op's name: the op a rule holding this pattern is registered on
        values, captures = set(), set()
        _pattern_names(tree, values, captures)
        self.values = frozenset(values)  # the %names: operands, bound to ir.Values
        self.captures = frozenset(captures)  # the $names: attribute values

    @classmethod
    def parse(cls, text: str) -> "Pattern":
        """Parse pattern text; ValueError says what is wrong and where."""
        p = cls(text, parse_pattern(text))
        both = sorted(p.values & p.captures)
        if both:
            raise ValueError(f"'{both[0]}' names both a value (%{both[0]}) and a capture (${both[0]})")
        return p

    def match(self, op) -> dict | None:
        """{name: ir.Value for each %name, name: Python value for each $capture} when `op` (an
        ir.Operation or OpView) matches, else None."""
        op = getattr(op, "operation", op)
        env: dict = {}
        caps: dict = {}
        if not _match(self.tree, op, env, caps):
            return None
        return {**env, **caps}

    def __repr__(self):
        return f"Pattern({self.text!r})"


__all__ = ["Pattern", "parse_pattern", "COMMUTATIVE"]
