"""Tests for grader.formula: the strict parser, rendering, validation and equivalence."""

from __future__ import annotations

import importlib
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy
import sympy.parsing.sympy_parser

from grader.formula import FormulaError, equivalent, parse, to_sympy, to_text, validate_node

SYMBOLS = {"w": [], "eta": ["lr", "η"], "lam": ["λ", "lmbda", "lambda"], "dJ": []}
LHS = ["w_new"]
EXPECTED = "w - eta*(dJ + lam*w)"
EQUIVALENT_FORMS = [
    "w - eta*(dJ + lam*w)",
    "w*(1 - eta*lam) - eta*dJ",
    "(1-lr*λ)*w - lr*dJ",
    "w_new = w - η*dJ - η*lmbda*w",
]
MISCONCEPTIONS = [
    "w - eta*dJ",
    "w*(1 + eta*lam) - eta*dJ",
    "w*(1 - eta*lam/2) - eta*dJ",
]


def read(text: str, **bounds) -> list:
    return parse(text, SYMBOLS, lhs=LHS, **bounds)


@pytest.mark.parametrize("text", EQUIVALENT_FORMS)
def test_equivalent_forms_match_the_expected_rule(text):
    assert equivalent(read(text), read(EXPECTED))


@pytest.mark.parametrize("text", MISCONCEPTIONS)
def test_misconceptions_do_not_match_the_expected_rule(text):
    assert not equivalent(read(text), read(EXPECTED))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x*w", "unknown name 'x' (use w, eta, lam, dJ)"),
        ("w(eta)", "write '*' between 'w' and '(' (implicit multiplication is not allowed)"),
        ("2w", "write '*' between '2' and 'w'"),
        ("(w)(eta)", "write '*' between ')' and '('"),
        ("__import__('os').system('x')", "function calls are not allowed ('__import__('"),
        ("w - sqrt(eta)", "function calls are not allowed ('sqrt(' at position 5)"),
        ("w" + " + w" * 200, "the formula is too long (801 characters; at most 300)"),
        ("w**10000", "exponent 10000 is too large (at most 64)"),
        ("(1-eta*lam)**(10**10**10)", "is too large (at most 64)"),
        ("w**-65", "exponent -65 is too large"),
        ("(w**8)**16", "the powers in '(w**8)**16' multiply to 128 (at most 64)"),
        ("w**(eta**2)", "the exponent 'eta**2' is too complicated"),
        ("w**(1/0)", "the exponent '1/0' is not a plain number"),
        ("(" * 41 + "w" + ")" * 41, "nested too deeply (at most 40 levels)"),
        ("-" * 41 + "w", "nested too deeply"),
        ("x = w - eta*dJ", "'x =' is not accepted (write 'w_new = ...' or only the formula)"),
        ("", "empty formula"),
        ("   ", "empty formula"),
        ("w_new = ", "empty formula"),
        ("w*(eta + dJ", "unbalanced parenthesis at position 3"),
        ("w + eta)", "unbalanced parenthesis at position 8"),
        ("w +", "the formula ends too early"),
        ("w + * eta", "a number, a name or '(' is expected at position 5, not '*'"),
        ("w[0]", "'[' at position 2 is not allowed (indexing is not allowed)"),
        ("w.real", "'.' at position 2 is not allowed (attribute access is not allowed)"),
        ("w, eta", "',' at position 2 is not allowed"),
        ("w == eta", "'=' at position 3 is not allowed"),
        ("'w'", "at position 1 is not allowed (text in quotes is not allowed)"),
        ("w % 2", "'%' at position 3 is not allowed"),
        ("1" * 31, "is too long (at most 30 characters)"),
        ("1e999*w", "the number '1e999' is too large or too small"),
    ],
)
def test_rejections_explain_the_problem(text, message):
    with pytest.raises(FormulaError) as caught:
        read(text)
    assert message in str(caught.value)


def test_a_left_hand_side_is_rejected_unless_listed():
    with pytest.raises(FormulaError, match=r"'w_new =' is not accepted \(write only the formula\)"):
        parse("w_new = w", SYMBOLS)


def test_a_value_that_is_not_text_is_rejected():
    with pytest.raises(FormulaError, match="must be text in quotes, not int"):
        parse(42, SYMBOLS)  # type: ignore[arg-type]


def test_bounds_are_configurable():
    assert read("w**100", max_exponent=100) == ["pow", ["sym", "w"], ["num", "100"]]
    with pytest.raises(FormulaError, match="too long"):
        read("w + eta", max_length=5)
    with pytest.raises(FormulaError, match="nested too deeply"):
        read("((w))", max_depth=1)


def test_adversarial_inputs_are_handled_fast():
    hostile = [
        "w+" * 149 + "w",
        "(" * 150 + "w" + ")" * 149,
        "-" * 299 + "w",
        "2**" * 99 + "2",
        "9" * 300,
        "(" * 40 + "w" + "**1)" * 40,
        "1e99**64*" * 33 + "w",
    ]
    start = time.perf_counter()
    for text in hostile:
        try:
            read(text)
        except FormulaError:
            pass
    assert time.perf_counter() - start < 1.0


def test_precedence_follows_python():
    w, eta = ["sym", "w"], ["sym", "eta"]
    two = ["num", "2"]
    assert read("-w**2") == ["neg", ["pow", w, two]]
    assert read("2**3**2") == ["pow", two, ["pow", ["num", "3"], two]]
    assert read("w - eta - w") == ["sub", ["sub", w, eta], w]
    assert read("w/eta*w") == ["mul", ["div", w, eta], w]
    assert read("w**-2") == ["pow", w, ["neg", two]]
    assert read("+w") == w


def test_unicode_operators_and_number_forms():
    assert read("w − η×dJ·lam") == read("w - eta*dJ*lam")
    assert read("w^2") == read("w**2")
    for half in ("0.5", ".5", "5e-1", "5.E-1", "0.50"):
        assert read(half) == ["num", "1/2"]
    assert read("1e3") == ["num", "1000"]


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("((w)) - (eta*((dJ) + (lam*w)))", "w - eta*(dJ + lam*w)"),
        ("w_new=w*(1-eta*lam)-eta*dJ", "w*(1 - eta*lam) - eta*dJ"),
        ("w - (eta - dJ)", "w - (eta - dJ)"),
        ("(w - eta) - dJ", "w - eta - dJ"),
        ("w/(eta*dJ)", "w/(eta*dJ)"),
        ("(-w)**2 + -w**2", "(-w)**2 + (-w**2)"),
        ("w*-eta", "w*(-eta)"),
        ("-(-w)", "-(-w)"),
        ("(w**2)**3", "(w**2)**3"),
        ("2**(3**2)", "2**3**2"),
        ("w**(-2)", "w**-2"),
        ("0.001*w + 1.5e-3 + 1000 + 1e6 + 1e-8", "0.001*w + 0.0015 + 1000 + 1e6 + 1e-8"),
    ],
)
def test_to_text_is_canonical_with_minimal_parentheses(text, canonical):
    assert to_text(read(text)) == canonical


@pytest.mark.parametrize(
    "text",
    EQUIVALENT_FORMS + MISCONCEPTIONS + ["-(w - eta)**-2/(dJ*-lam)", "2**-1*w**0.5 - 1e-9/3"],
)
def test_to_text_round_trips(text):
    node = read(text)
    again = read(to_text(node))
    assert again == node
    assert equivalent(again, node)


def test_to_text_renders_non_decimal_rationals_as_divisions():
    assert to_text(["num", "1/3"]) == "1/3"
    assert to_text(["pow", ["num", "1/3"], ["num", "2"]]) == "(1/3)**2"
    assert to_text(["mul", ["sym", "w"], ["num", "-3"]]) == "w*(-3)"


def test_validate_node_accepts_parsed_nodes():
    node = read(EXPECTED)
    assert validate_node(node, SYMBOLS) is node
    assert validate_node(["num", "-3/2"], SYMBOLS) == ["num", "-3/2"]


def _self_containing() -> list:
    node: list = ["neg"]
    node.append(node)
    return node


@pytest.mark.parametrize(
    "node",
    [
        "w",
        [],
        ["num"],
        ["num", 3],
        ["num", "1.5"],
        ["num", " 3"],
        ["num", "1/0"],
        ["num", "١"],
        ["num", "9" * 301],
        ["sym", "x"],
        ["sym", ["w"]],
        ["add", ["sym", "w"]],
        ["pow", ["sym", "w"], ["sym", "w"], ["sym", "w"]],
        ["call", ["sym", "w"]],
        [["sym", "w"]],
        ["neg", "w"],
        ("neg", ["sym", "w"]),
        {"tag": "sym"},
        _self_containing(),
    ],
)
def test_validate_node_rejects_malformed_structures(node):
    with pytest.raises(ValueError):
        validate_node(node, SYMBOLS)


def test_validate_node_bounds_the_size():
    node = ["sym", "w"]
    for _ in range(30):
        node = ["add", node, node]  # shared subtrees: 2**31 nodes when walked
    with pytest.raises(ValueError, match="more than 2000 nodes"):
        validate_node(node, SYMBOLS)


def test_to_sympy_builds_exact_expressions():
    w, eta, lam, dj = sympy.symbols("w eta lam dJ")
    assert to_sympy(read(EXPECTED)) == w - eta * (dj + lam * w)
    assert to_sympy(read("0.5*w**-1")) == sympy.Rational(1, 2) / w


def test_equivalence_survives_division_by_zero():
    assert equivalent(read("(w**2 - 1)/(w - 1)"), read("w + 1"))
    assert not equivalent(read("1/(w - w)"), read("w"))
    assert not equivalent(read("w/0"), read("w"))


def test_fractional_powers_are_left_to_sympy():
    assert equivalent(read("w**0.5*w**0.5"), read("w"))
    assert not equivalent(read("(w**2)**0.5"), read("w"))


def test_numeric_sampling_rejects_without_sympy(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("sympy was not needed")

    monkeypatch.setattr(sympy, "expand", fail)
    monkeypatch.setattr(sympy, "simplify", fail)
    for text in MISCONCEPTIONS:
        assert not equivalent(read(text), read(EXPECTED))


def test_sympy_never_parses_student_text(monkeypatch):
    watched = EQUIVALENT_FORMS + MISCONCEPTIONS
    watched += [to_text(read(text)) for text in watched]

    def trap(original):
        def guarded(value, *args, **kwargs):
            if isinstance(value, str) and any(text in value for text in watched):
                raise AssertionError(f"sympy was asked to parse {value!r}")
            return original(value, *args, **kwargs)

        return guarded

    parse_expr = sympy.parsing.sympy_parser.parse_expr
    monkeypatch.setattr(sympy.parsing.sympy_parser, "parse_expr", trap(parse_expr))
    monkeypatch.setattr(sympy, "parse_expr", trap(parse_expr), raising=False)
    monkeypatch.setattr(sympy, "sympify", trap(sympy.sympify))
    sympify_module = importlib.import_module("sympy.core.sympify")  # shadowed by the function
    monkeypatch.setattr(sympify_module, "sympify", trap(sympify_module.sympify))
    with pytest.raises(AssertionError):  # the trap works
        sympy.S(EQUIVALENT_FORMS[0])
    for text in watched:
        equivalent(read(text), read(EXPECTED))


def test_importing_formula_does_not_import_sympy():
    code = "import sys, grader.formula; print('sympy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=True,
    )
    assert result.stdout.strip() == "False"


def test_a_formula_that_would_expand_into_thousands_of_terms_is_refused_before_sympy():
    bomb = "(w*eta + lam*dJ + w*lam + eta*dJ)**64 - ((w + dJ)*(eta + lam))**64"
    with pytest.raises(FormulaError, match="too complex to check"):
        parse(bomb, SYMBOLS)
    assert parse("(w + eta + lam)**20", SYMBOLS)  # 231 terms: fine
