"""Student formulas: a strict parser, a canonical rendering and algebraic equivalence.

A student's formula string is hostile input. It is read here by a whitelisting
recursive-descent parser into a small JSON-shaped tree (``Node``). sympy only ever sees
trees built through its constructors, never text: its own parsers (``sympify``,
``parse_expr``, ``S(str)``, ``lambdify``) call ``eval``. sympy is imported lazily because
importing it costs about half a second.
"""

from __future__ import annotations

import math
import random
import re
import reprlib
from collections.abc import Container, Mapping, Sequence
from fractions import Fraction
from typing import NamedTuple

Node = list
"""A formula tree as nested JSON lists whose first item is a tag:

``["num", "3/2"]`` (an exact rational written "p" or "p/q"; the parser only makes
non-negative ones, ``validate_node`` also accepts "-p/q"), ``["sym", "eta"]`` (a canonical
symbol name), ``["neg", a]`` and ``[tag, a, b]`` for tag in add, sub, mul, div, pow.
Plain lists and strings, so a tree crosses a process boundary as JSON unchanged.
"""


class FormulaError(Exception):
    """A student formula was rejected; ``str(error)`` explains why in plain words.

    Positions in messages count characters from 1, as a student would.
    """


_MAX_NUMBER_LENGTH = 30
_MAX_POWER_OF_TEN = 99  # in scientific notation: 1e99 is a 100-digit integer, no more
_MAX_NUMBER_TEXT = 300  # characters of a "p/q" in a Node; parsed numbers need about 150
_MAX_BITS = 20_000  # exact arithmetic stops before numbers grow past this many bits
_SAMPLE_POINTS = 6
_SAMPLE_SEED = 20240601

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
      | (?P<name>[^\W\d]\w*)
      | (?P<op>\*\*|[-+*/^()\u2212\u00d7\u00b7])""",
    re.VERBOSE,
)
_OPERATOR_ALIASES = {"^": "**", "\u2212": "-", "\u00d7": "*", "\u00b7": "*"}
_CHARACTER_HINTS = {
    "=": "write a single formula, with no comparison and no second assignment",
    ",": "write a single formula",
    ".": "attribute access is not allowed",
    "[": "indexing is not allowed",
    "]": "indexing is not allowed",
    "'": "text in quotes is not allowed",
    '"': "text in quotes is not allowed",
}
_LHS = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")
_NUMBER_TEXT = re.compile(r"-?[0-9]+(?:/[0-9]+)?")
_ARITY = {"num": 1, "sym": 1, "neg": 1, "add": 2, "sub": 2, "mul": 2, "div": 2, "pow": 2}


class _Token(NamedTuple):
    kind: str  # "num", "name", "end", or the operator itself: + - * / ** ( )
    text: str  # as the student wrote it, for messages
    position: int  # 1-based


def parse(
    text: str,
    symbols: Mapping[str, Sequence[str]],
    *,
    lhs: Sequence[str] = (),
    max_length: int = 300,
    max_exponent: int = 64,
    max_depth: int = 40,
) -> Node:
    """Parse a student formula into a Node, or raise FormulaError saying what is wrong.

    ``symbols`` maps each canonical name to its accepted aliases; ``lhs`` lists the
    left-hand sides that may precede the formula (``w_new = ...``). The bounds keep every
    later step (rendering, exact evaluation, sympy) cheap whatever the student wrote.
    """
    if not isinstance(text, str):  # the value comes from the student's module: any type
        raise FormulaError(f"the formula must be text in quotes, not {type(text).__name__}")
    if len(text) > max_length:
        raise FormulaError(
            f"the formula is too long ({len(text)} characters; at most {max_length})"
        )
    start = 0
    assignment = _LHS.match(text)
    if assignment:
        name = assignment.group(1)
        if name not in lhs:
            allowed = " or ".join(f"'{accepted} = ...'" for accepted in lhs)
            hint = f"write {allowed} or only the formula" if lhs else "write only the formula"
            raise FormulaError(f"'{name} =' is not accepted ({hint})")
        start = assignment.end()
    if not text[start:].strip():
        raise FormulaError("empty formula")
    lookup = {name: name for name in symbols}
    for name, aliases in symbols.items():
        lookup.update(dict.fromkeys(aliases, name))
    node = _Parser(_tokenize(text, start), lookup, list(symbols), max_depth).parse()
    _check_powers(node, max_exponent)
    if _expanded_terms(node) > MAX_EXPANDED_TERMS:
        raise FormulaError(f"the formula is too complex to check (expanded, it would have "
                           f"more than {MAX_EXPANDED_TERMS} terms)")
    return node


MAX_EXPANDED_TERMS = 2000  # sympy's expand of (a+b+c+d)**64 alone takes seconds


def _expanded_terms(node: Node) -> int:
    """An upper bound on the terms ``node`` has once expanded, capped just above the limit,
    so that one pathological formula cannot stall the algebra process every student shares."""
    cap = MAX_EXPANDED_TERMS + 1
    tag = node[0]
    if tag in ("num", "sym"):
        return 1
    if tag == "neg":
        return _expanded_terms(node[1])
    a, b = _expanded_terms(node[1]), _expanded_terms(node[2])
    if tag in ("add", "sub"):
        return min(cap, a + b)
    if tag == "pow" and node[2][0] == "num" and "/" not in node[2][1]:
        n = abs(int(node[2][1]))  # (a)**n: at most C(a + n - 1, n) monomials
        return min(cap, math.comb(a + n - 1, n)) if a > 1 else 1
    return min(cap, a * b)


def _tokenize(text: str, start: int):
    """Yield the tokens of ``text[start:]`` lazily, so the leftmost problem is reported."""
    position = start
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            character = text[position]
            hint = _CHARACTER_HINTS.get(character)
            message = f"{character!r} at position {position + 1} is not allowed"
            raise FormulaError(f"{message} ({hint})" if hint else message)
        kind, source = match.lastgroup, match.group()
        if kind == "op":
            kind = _OPERATOR_ALIASES.get(source, source)
        if kind != "space":
            yield _Token(kind, source, position + 1)
        position = match.end()
    yield _Token("end", "", len(text) + 1)


def _number_value(token: _Token) -> Fraction:
    """The exact value of a number literal, refusing ones too long or too large to be sane."""
    if len(token.text) > _MAX_NUMBER_LENGTH:
        raise FormulaError(
            f"the number '{token.text[:20]}...' at position {token.position} is too long "
            f"(at most {_MAX_NUMBER_LENGTH} characters)"
        )
    _, _, power_of_ten = token.text.lower().partition("e")
    if power_of_ten and abs(int(power_of_ten)) > _MAX_POWER_OF_TEN:
        raise FormulaError(
            f"the number '{token.text}' is too large or too small "
            f"(the power of ten must be between -{_MAX_POWER_OF_TEN} and {_MAX_POWER_OF_TEN})"
        )
    return Fraction(token.text)


class _Parser:
    """Recursive descent with Python's precedences: + - < * / < unary +- < ** (right-assoc)."""

    def __init__(self, tokens, lookup: dict[str, str], names: list[str], max_depth: int):
        self._tokens = tokens
        self._lookup = lookup
        self._names = names
        self._max_depth = max_depth
        self._depth = 0
        self._current = next(tokens)

    def parse(self) -> Node:
        node = self._sum()
        if self._current.kind != "end":  # only an unmatched ')' can be left over
            raise FormulaError(f"unbalanced parenthesis at position {self._current.position}")
        return node

    def _advance(self) -> _Token:
        token, self._current = self._current, next(self._tokens, self._current)
        return token

    def _deeper(self, parse_inner) -> Node:
        """Bound the nesting so recursion and later tree walks stay shallow."""
        self._depth += 1
        if self._depth > self._max_depth:
            raise FormulaError(
                f"the formula is nested too deeply (at most {self._max_depth} levels)"
            )
        node = parse_inner()
        self._depth -= 1
        return node

    def _sum(self) -> Node:
        node = self._product()
        while self._current.kind in ("+", "-"):
            tag = "add" if self._advance().kind == "+" else "sub"
            node = [tag, node, self._product()]
        return node

    def _product(self) -> Node:
        node = self._unary()
        while self._current.kind in ("*", "/"):
            tag = "mul" if self._advance().kind == "*" else "div"
            node = [tag, node, self._unary()]
        return node

    def _unary(self) -> Node:
        if self._current.kind not in ("+", "-"):
            return self._power()
        sign = self._advance()
        operand = self._deeper(self._unary)
        return ["neg", operand] if sign.kind == "-" else operand

    def _power(self) -> Node:
        base = self._atom()
        if self._current.kind != "**":
            return base
        self._advance()
        return ["pow", base, self._deeper(self._unary)]

    def _atom(self) -> Node:
        token = self._advance()
        if token.kind == "num":
            node = ["num", str(_number_value(token))]
        elif token.kind == "name":
            node = ["sym", self._resolve(token)]
        elif token.kind == "(":
            node = self._deeper(self._sum)
            if self._current.kind != ")":
                raise FormulaError(f"unbalanced parenthesis at position {token.position}")
            token = self._advance()  # the ')' is what implicit multiplication would follow
        elif token.kind == "end":
            raise FormulaError("the formula ends too early (a number or a name is missing)")
        else:
            raise FormulaError(
                f"a number, a name or '(' is expected at position {token.position}, "
                f"not '{token.text}'"
            )
        if self._current.kind in ("num", "name", "("):
            raise FormulaError(
                f"write '*' between '{token.text}' and '{self._current.text}' "
                "(implicit multiplication is not allowed)"
            )
        return node

    def _resolve(self, token: _Token) -> str:
        if token.text in self._lookup:
            return self._lookup[token.text]
        if self._current.kind == "(":
            raise FormulaError(
                f"function calls are not allowed ('{token.text}(' at position {token.position})"
            )
        raise FormulaError(f"unknown name '{token.text}' (use {', '.join(self._names)})")


class _PowerInfo(NamedTuple):
    constant: bool  # the subtree contains no symbol
    has_power: bool
    product: Fraction  # largest product of |constant exponent| along nested powers


def _check_powers(node: Node, max_exponent: int) -> _PowerInfo:
    """Bound every power so neither exact arithmetic nor sympy can blow up.

    A constant exponent must be a rational of size at most ``max_exponent``, and nested
    powers multiply (``(w**8)**8`` is ``w**64``), so their product is bounded too; that also
    bounds a constant raised to a constant. An exponent with a symbol in it may not contain
    another power.
    """
    tag = node[0]
    if tag in ("num", "sym"):
        return _PowerInfo(tag == "num", False, Fraction(1))
    children = [_check_powers(child, max_exponent) for child in node[1:]]
    constant = all(child.constant for child in children)
    has_power = any(child.has_power for child in children)
    product = max(child.product for child in children)
    if tag != "pow":
        return _PowerInfo(constant, has_power, product)
    base, exponent = children
    if exponent.constant:
        try:
            value = _exact_value(node[2], {})
        except _NotRational:
            raise FormulaError(f"the exponent '{to_text(node[2])}' is not a plain number") from None
        if abs(value) > max_exponent:
            raise FormulaError(
                f"exponent {_render_number(value)[0]} is too large (at most {max_exponent})"
            )
        nested = base.product * max(Fraction(1), abs(value))
        if nested > max_exponent:
            raise FormulaError(
                f"the powers in '{to_text(node)}' multiply to {_render_number(nested)[0]} "
                f"(at most {max_exponent})"
            )
        product = max(product, nested)
    elif exponent.has_power:
        raise FormulaError(
            f"the exponent '{to_text(node[2])}' is too complicated "
            "(an exponent with a name in it cannot contain another power)"
        )
    return _PowerInfo(constant, True, product)


class _NotRational(Exception):
    """The value is not a rational that exact arithmetic can compute cheaply."""


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _exact_value(node: Node, point: Mapping[str, Fraction]) -> Fraction:
    """Evaluate a Node exactly, with symbols taken from ``point``.

    Raises _NotRational on a division by zero, a fractional power, or numbers growing past
    _MAX_BITS, so a hostile tree can never make this slow.
    """
    tag = node[0]
    if tag == "num":
        return Fraction(node[1])
    if tag == "sym":
        return point[node[1]]
    if tag == "neg":
        return -_exact_value(node[1], point)
    left, right = _exact_value(node[1], point), _exact_value(node[2], point)
    if tag == "add":
        result = left + right
    elif tag == "sub":
        result = left - right
    elif tag == "mul":
        result = left * right
    elif tag == "div":
        if right == 0:
            raise _NotRational
        result = left / right
    else:
        if right.denominator != 1 or (left == 0 and right < 0):
            raise _NotRational
        if _bits(left) * abs(right) > _MAX_BITS:
            raise _NotRational
        result = left ** int(right)
    if _bits(result) > _MAX_BITS:
        raise _NotRational
    return result


_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_ATOM = 5
_OPERATOR_TEXT = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}


def to_text(node: Node) -> str:
    """Render a Node readably with only the parentheses its structure needs.

    Re-parsing the text gives back the same tree, so reports show exactly what was graded.
    """
    return _render(node)[0]


def _render(node: Node) -> tuple[str, int]:
    """The text of ``node`` and the precedence of its outermost operator."""
    tag = node[0]
    if tag == "num":
        return _render_number(Fraction(node[1]))
    if tag == "sym":
        return node[1], _ATOM
    if tag == "neg":
        operand = _operand(node[1], _PRECEDENCE["neg"], bracket_sign=True)
        return "-" + operand, _PRECEDENCE["neg"]
    precedence = _PRECEDENCE[tag]
    if tag == "pow":  # right-associative, and its exponent may carry a sign: w**-2
        left, right = _operand(node[1], precedence + 1), _operand(node[2], _PRECEDENCE["neg"])
    else:
        left = _operand(node[1], precedence)
        right = _operand(node[2], precedence + 1, bracket_sign=True)
    return left + _OPERATOR_TEXT[tag] + right, precedence


def _operand(node: Node, minimum: int, *, bracket_sign: bool = False) -> str:
    """Render an operand, in parentheses if it binds looser than ``minimum``.

    ``bracket_sign`` also brackets a negation, for readability: ``w*(-eta)``, ``-(-w)``.
    """
    text, precedence = _render(node)
    if precedence < minimum or (bracket_sign and precedence == _PRECEDENCE["neg"]):
        return f"({text})"
    return text


def _render_number(value: Fraction) -> tuple[str, int]:
    """Decimal text when the value has one (always, for parsed numbers), else ``p/q``."""
    if value < 0:
        return "-" + _operand(["num", str(-value)], _PRECEDENCE["neg"]), _PRECEDENCE["neg"]
    denominator = value.denominator
    twos = (denominator & -denominator).bit_length() - 1
    rest, fives = denominator >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{value.numerator}/{denominator}", _PRECEDENCE["div"]
    scale = max(twos, fives)
    digits = str(value.numerator * 10**scale // denominator).rjust(scale + 1, "0")
    plain = f"{digits[:-scale]}.{digits[-scale:]}" if scale else digits
    significant = digits.strip("0")
    if not significant:
        return plain, _ATOM
    trailing_zeros = len(digits) - len(digits.rstrip("0"))
    power = trailing_zeros - scale + len(significant) - 1
    mantissa = significant[0] + (f".{significant[1:]}" if len(significant) > 1 else "")
    scientific = f"{mantissa}e{power}"
    return (plain if len(plain) <= len(scientific) + 2 else scientific), _ATOM


def validate_node(node: object, symbols: Container[str], max_nodes: int = 2000) -> Node:
    """Check that an untrusted JSON value is a well-formed Node, or raise ValueError.

    Defence in depth for the algebra process: it only accepts what the parser could have
    produced (right tags and arities, known symbols, bounded exact numbers).
    """
    pending, count = [node], 0
    while pending:
        item = pending.pop()
        count += 1
        if count > max_nodes:
            raise ValueError(f"the formula has more than {max_nodes} nodes")
        if not (
            isinstance(item, list)
            and item
            and isinstance(item[0], str)
            and len(item) == _ARITY.get(item[0], -1) + 1
        ):
            raise ValueError(f"malformed node {reprlib.repr(item)}")
        tag, *operands = item
        if tag == "num":
            text = operands[0]
            if not (
                isinstance(text, str)
                and len(text) <= _MAX_NUMBER_TEXT
                and _NUMBER_TEXT.fullmatch(text)
                and ("/" not in text or text.partition("/")[2].strip("0"))
            ):
                raise ValueError(f"malformed number {reprlib.repr(text)}")
        elif tag == "sym":
            if not (isinstance(operands[0], str) and operands[0] in symbols):
                raise ValueError(f"unknown symbol {reprlib.repr(operands[0])}")
        else:
            pending.extend(operands)
    return node


def to_sympy(node: Node):
    """Build the sympy expression through constructors only: no text ever reaches sympy."""
    import sympy

    minus_one = sympy.Integer(-1)
    combine = {
        "add": sympy.Add,
        "sub": lambda left, right: sympy.Add(left, sympy.Mul(minus_one, right)),
        "mul": sympy.Mul,
        "div": lambda left, right: sympy.Mul(left, sympy.Pow(right, minus_one)),
        "pow": sympy.Pow,
    }

    def build(item: Node):
        tag = item[0]
        if tag == "num":
            numerator, _, denominator = item[1].partition("/")
            return sympy.Rational(int(numerator), int(denominator or 1))
        if tag == "sym":
            return sympy.Symbol(item[1])
        if tag == "neg":
            return sympy.Mul(minus_one, build(item[1]))
        return combine[tag](build(item[1]), build(item[2]))

    return build(node)


def equivalent(a: Node, b: Node) -> bool:
    """Whether two formulas are algebraically equal.

    Exact evaluation at a few seeded random points rejects most wrong answers without
    sympy; only formulas that agree there pay for ``expand`` and, failing that, ``simplify``.
    """
    if _differ_at_sample_points(a, b):
        return False
    import sympy

    difference = to_sympy(a) - to_sympy(b)
    return sympy.expand(difference) == 0 or sympy.simplify(difference) == 0


def _differ_at_sample_points(a: Node, b: Node) -> bool:
    """True if ``a`` and ``b`` take different exact values at some sample point.

    Exact rationals make a difference conclusive. Points where either side is undefined
    or not rational (division by zero, fractional powers) are skipped.
    """
    names = sorted(_symbols(a) | _symbols(b))
    generator = random.Random(_SAMPLE_SEED)
    for _ in range(_SAMPLE_POINTS):
        point = {
            name: Fraction(
                generator.choice((-1, 1)) * generator.randint(1, 60), generator.randint(1, 17)
            )
            for name in names
        }
        try:
            if _exact_value(a, point) != _exact_value(b, point):
                return True
        except _NotRational:
            continue
    return False


def _symbols(node: Node) -> set[str]:
    if node[0] == "sym":
        return {node[1]}
    if node[0] == "num":
        return set()
    return set().union(*(_symbols(child) for child in node[1:]))
