"""The escapes of D's string and character constants, as D's lexer reads them (and which
integer constants it cannot type: :func:`decimal_unrepresentable`).

Both kinds of constant go through libdtrace's ``stresc2chr()`` (``dt_string.c``, the same code in
illumos and in Oracle's DTrace 2.0), which knows fewer escapes than C:

- ``\\n \\t \\r \\a \\b \\f \\v`` are those control characters; ``\\\\`` and ``\\"`` are the
  backslash and the double quote (:data:`SIMPLE`);
- a backslash and one to three octal digits is that byte (its low 8 bits: ``\\777`` is 0xFF);
- ``\\x`` and any number of hex digits is that byte (its low 8 bits); ``\\x`` with no hex digit
  after it is a NUL byte, so a string ends there (``"a\\xzb"`` is ``"a"``);
- any other backslash stands for itself and the character after it: ``"\\'"``, ``"\\?"`` and
  ``"\\e"`` are two bytes each, and ``'\\''`` is the two-byte constant 0x5C27 (23591), not C's
  ``'``, which D spells ``'\\047'`` (``'''`` is "empty character constant").

Measured on Oracle's dtrace (``strlen("\\'")`` is 2, ``'\\''`` traces 23591, ``'\\q'`` 23665,
``'\\x'`` 0); tests/test_new_user_review16.py asks it again.
"""

from __future__ import annotations

#: The escapes that are one character each: the letter after the backslash -> the character.
SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
          "\\": "\\", '"': '"'}

OCTAL_DIGITS = "01234567"
HEX_DIGITS = "0123456789abcdefABCDEF"
#: Octal escapes take at most this many digits; hex escapes take any number.
MAX_OCTAL_DIGITS = 3


def decimal_unrepresentable(text: str) -> bool:
    """Is the integer constant ``text`` (digits, then a suffix of u, U, l, L) a decimal one above
    9223372036854775807 without a U suffix?  D types a decimal constant without U as int, long or
    long long only, as C does, so dtrace refuses it ("cannot be represented in any built-in
    integral type", dt_node_int); hex or octal may be unsigned.  (Past 64 bits dtrace says
    "integer overflow" first: the callers ask that first.)"""
    digits = text.rstrip("uUlL")
    return (digits[:1] not in ("", "0") and len(digits) >= 19 and not set(text[len(digits):]) & set("uU")
            and (len(digits) > 19 or int(digits) > 0x7FFFFFFFFFFFFFFF))
