import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from afs.asm.expressions import ExpressionError, evaluate


@pytest.mark.parametrize(("text", "value"), [
    ("$7E0010", 0x7E0010), ("%01111111", 0x7F), ("42", 42), ("'a'", 97), ("'x'+2", 122),
    ("-10", -10), ("~$80", 0xFFFFFF7F), ("<:$7E1234", 0x7E), ("2**4", 16), ("7%3", 1),
    ("$FF&%1010", 0x0A), ("1<<4|1", 17), ("$10>>2", 4), ("5^1", 4),
])
def test_literals_and_operators(text, value):
    assert evaluate(text).value == value


def test_left_to_right_by_default_and_precedence_with_math_pri():
    # the examples of asar's manual
    assert evaluate("6*2+5").value == 17
    assert evaluate("5+6*2").value == 22
    assert evaluate("5+6*2", math_pri=True).value == 17
    assert evaluate("(5+6)*2", math_pri=True).value == 22
    assert evaluate("1+(6/3)*5").value == 15
    assert evaluate("1+(6/3)*5", math_pri=True).value == 11


def test_names_are_unresolved_not_errors():
    result = evaluate("Sprite_Table+3")
    assert result.value is None and result.unresolved == ["Sprite_Table"]
    assert evaluate(".Data+3").unresolved == [".Data"]


@pytest.mark.parametrize(("text", "message", "column"), [
    ("($12", "unbalanced parenthesis: '(' is never closed", 0),
    ("$12)", "unbalanced parenthesis: ')' without '('", 3),
    ("1 + 2", "whitespace is not allowed in an expression", 1),
    ("$", "malformed number '$'", 0),
    ("$G1", "malformed number '$G1'", 0),
    ("%102", "malformed number '%102'", 0),
    ("12a+1", "malformed number '12a'", 0),
    ("1+$12Z", "malformed number '$12Z'", 2),
    ("3*", "expression ends where a value was expected", 2),
    ("4/0", "division by zero", 1),
    ("$12#", "unexpected character '#'", 3),
    ("2**99999", "'**' by 99999 is out of range", 1),
])
def test_errors_name_problem_and_column(text, message, column):
    with pytest.raises(ExpressionError, match=re.escape(message)) as caught:
        evaluate(text)
    assert caught.value.column == column


@given(st.lists(st.integers(0, 999), min_size=1, max_size=6),
       st.lists(st.sampled_from(["+", "-", "*"]), min_size=5, max_size=5))
def test_math_pri_on_matches_python_precedence(numbers, operators):
    text = str(numbers[0]) + "".join(f"{o}{n}" for o, n in zip(operators, numbers[1:]))
    assert evaluate(text, math_pri=True).value == eval(text)  # noqa: S307 - digits and + - * only


def test_asar_s_pure_functions_are_computed():
    assert evaluate("select(or(equal(1,2),greaterequal(3,3)),$10,$20)").value == 0x10
    assert evaluate('stringsequal("up","up")+stringsequalnocase("A","a")').value == 2
    assert evaluate("clamp(9,1,3)+safediv(4,0,7)+bank($7E1234)").value == 3 + 7 + 0x7E
    assert evaluate("equal(Label,1)").value is None  # an argument not known here
    assert evaluate("read1($008000)").value is None  # depends on the ROM
    with pytest.raises(ExpressionError, match="takes 2 arguments"):
        evaluate("equal(1,2,3)")
    with pytest.raises(ExpressionError, match="a string"):
        evaluate("stringsequal(1,2)")


def test_a_text_s_functions_are_computed_with_their_arguments():
    from afs.asm.expressions import Function, Functions

    table = Functions().with_function("concat", Function(("a", "b"), "((a&$F)<<4)|(b&$F)"))
    assert evaluate("concat(1,2)", functions=table).value == 0x12
    assert evaluate("concat(X,2)", functions=table).unresolved == ["X"]
    free = table.with_function("shift", Function(("a",), "a+Base"))
    assert evaluate("shift(1)", functions=free).unresolved == ["Base"]
    assert evaluate("shift(1)", symbols={"Base": 4}, functions=free).value == 5
    loop = Functions().with_function("f", Function(("a",), "f(a)"))
    assert evaluate("f(1)", functions=loop).value is None  # a function calling itself


def test_dividing_by_a_name_not_known_here_is_no_division_by_zero():
    assert evaluate("Size/Count").unresolved == ["Size", "Count"]
    assert evaluate("4%Count").value is None
    with pytest.raises(ExpressionError, match="division by zero"):
        evaluate("Size/0")
