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

:func:`decode_string` reads a constant's body by these rules (the lexer's strings, and
:func:`char_length`, which the tree's ``CharLit`` measures itself with).

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


def _byte(value: int) -> str:
    """The character an escape for byte ``value`` stands for: itself below 0x80; above, the
    byte as Python's ``surrogateescape`` spells an undecodable byte (U+DC80 to U+DCFF), since D
    text is UTF-8 and ``"\\377"`` is the byte 0xFF, not the character U+00FF (two bytes)."""
    return chr(value) if value < 0x80 else chr(0xDC00 + value)


def decode_string(body: str) -> str:
    """Decode the escapes of a string or character constant's body (what stands between the
    quotes), as stresc2chr does (the module's docstring)."""
    i = body.find("\\")
    if i < 0:
        return body
    out = [body[:i]]
    n = len(body)
    while i < n:
        if body[i] != "\\":
            # the text up to the next escape, whole (not a character at a time)
            j = body.find("\\", i)
            if j < 0:
                out.append(body[i:])
                break
            out.append(body[i:j])
            i = j
        if i + 1 >= n:  # a backslash at the end stands for itself
            out.append("\\")
            break
        nxt = body[i + 1]
        if nxt in SIMPLE:
            out.append(SIMPLE[nxt])
            i += 2
        elif nxt in OCTAL_DIGITS:
            j = i + 1
            while j < n and j <= i + MAX_OCTAL_DIGITS and body[j] in OCTAL_DIGITS:
                j += 1
            out.append(_byte(int(body[i + 1 : j], 8) & 0xFF))
            i = j
        elif nxt == "x":
            j = i + 2
            while j < n and body[j] in HEX_DIGITS:
                j += 1
            # no hex digit: stresc2chr makes the byte 0 (a NUL, where the string ends)
            out.append(_byte(int(body[i + 2 : j], 16) & 0xFF) if j > i + 2 else "\0")
            i = j
        else:  # any other escape is the backslash and the character, as stresc2chr keeps them
            out.append(body[i : i + 2])
            i += 2
    value = "".join(out)
    if not value.isascii():
        # D strings are bytes: escaped bytes that spell a UTF-8 character are that character
        # ("\342\200\256" is U+202E, as the printer writes it), the others stay one each
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    return value


def char_length(body: str) -> int:
    """How many bytes a character constant's body (escapes kept) holds."""
    return len(decode_string(body).encode("utf-8", "surrogateescape"))
