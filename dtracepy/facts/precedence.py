"""The one precedence table of D expressions (D-REFERENCE.md, lowest to highest).

The printer chooses parentheses from it; the parser's grammar encodes the same order.  Higher
numbers bind tighter.
"""

from __future__ import annotations

COMMA = 1
ASSIGN = 2  # = += -= ... (right-associative)
TERNARY = 3  # ?: (right-associative)
LOGICAL_OR = 4  # ||
LOGICAL_XOR = 5  # ^^
LOGICAL_AND = 6  # &&
BIT_OR = 7  # |
BIT_XOR = 8  # ^
BIT_AND = 9  # &
EQUALITY = 10  # == !=
RELATIONAL = 11  # < <= > >=
SHIFT = 12  # << >>
ADDITIVE = 13  # + -
MULTIPLICATIVE = 14  # * / %
CAST = 15  # (type) e
UNARY = 16  # ! ~ ++ -- + - * & sizeof stringof xlate<T>(e) (right-associative)
POSTFIX = 17  # f() a[i] p->m s.m x++ x--
PRIMARY = 18  # names, literals, parenthesised expressions

BINARY = {
    ",": COMMA,
    "||": LOGICAL_OR,
    "^^": LOGICAL_XOR,
    "&&": LOGICAL_AND,
    "|": BIT_OR,
    "^": BIT_XOR,
    "&": BIT_AND,
    "==": EQUALITY,
    "!=": EQUALITY,
    "<": RELATIONAL,
    "<=": RELATIONAL,
    ">": RELATIONAL,
    ">=": RELATIONAL,
    "<<": SHIFT,
    ">>": SHIFT,
    "+": ADDITIVE,
    "-": ADDITIVE,
    "*": MULTIPLICATIVE,
    "/": MULTIPLICATIVE,
    "%": MULTIPLICATIVE,
}

ASSIGN_OPS = ("=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>=")

# Prefix operators whose operand is a cast expression in C's grammar (``-(int)x`` is fine) and
# those whose operand must be a unary expression (``++((int)x)`` needs the parentheses).
PREFIX_CAST_OPERAND = ("!", "~", "+", "-", "*", "&")
PREFIX_UNARY_OPERAND = ("++", "--")
