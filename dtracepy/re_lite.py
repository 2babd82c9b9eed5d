"""Python's ``re`` for ``dtracepy check``, without importing it while the shipped patterns do.

The program ``dtracepy check`` (and only it: see ``dtracepy.cli._ship_classes``) puts this module
in ``sys.modules["re"]`` before it imports anything else: the regular expressions a check
compiles are then made from their shipped compiled code (``dtracepy/regex_codes.py``, the code
``re``'s compiler makes for them on this Python) by ``_sre.compile``, as ``re.compile`` would make
them, and ``re`` itself (with ``enum``, its parser and compiler: some 15 M of a seed-sized check's
machine instructions) is never imported.  Any other pattern, and anything else asked of this
module (``re.escape``, ``re.error``, ``re.Pattern`` ...), imports the real ``re``, which takes
this module's place in ``sys.modules`` and answers from then on: a module that took this one as
its ``re`` keeps working, as if it were Python's (``tests/test_re_lite.py``).
"""

from __future__ import annotations

import sys

import _sre

from dtracepy import regex_codes

# re's flags (re.RegexFlag), as the integers they are
NOFLAG = 0
A = ASCII = 256
I = IGNORECASE = 2  # noqa: E741 - re's name
L = LOCALE = 4
M = MULTILINE = 8
S = DOTALL = 16
U = UNICODE = 32
X = VERBOSE = 64
DEBUG = 128

# (type, pattern, flags) -> its shipped entry (see dtracepy/regex_codes.py)
_SHIPPED = {(type(entry[0]), entry[0], entry[1]): entry for entry in regex_codes.PATTERNS}
# (type, pattern, flags) -> the pattern object made from it
_MADE: dict = {}


def usable() -> bool:
    """Whether the shipped codes are this Python's ``re``'s."""
    return (tuple(sys.version_info[:2]) == regex_codes.PYTHON and getattr(_sre, "MAGIC", None) == regex_codes.MAGIC
            and getattr(_sre, "CODESIZE", None) == regex_codes.CODESIZE)


def _real():
    """The real ``re`` module (imported now if need be, in this module's place)."""
    real = sys.modules.get("re")
    if real is None or real is sys.modules[__name__]:
        sys.modules.pop("re", None)
        import re as real  # (Python's own: this module is no longer in the way)
    return real


def compile(pattern, flags=0):  # noqa: A001 - re's name
    """``re.compile``."""
    try:
        return _MADE[type(pattern), pattern, flags]
    except KeyError:
        pass
    except TypeError:  # (an unhashable argument: re says what is wrong)
        return _real().compile(pattern, flags)
    key = (type(pattern), pattern, flags)
    entry = _SHIPPED.get(key)
    if entry is None:
        return _real().compile(pattern, flags)
    made = _MADE[key] = make(entry)
    return made


def make(entry):
    """The pattern object of a shipped entry (``regex_codes.PATTERNS``), as ``re.compile`` makes it."""
    text, _, compiled_flags, code, groups, index, names = entry
    return _sre.compile(text, compiled_flags, list(code), groups, dict(index), names)


def match(pattern, string, flags=0):
    return compile(pattern, flags).match(string)


def fullmatch(pattern, string, flags=0):
    return compile(pattern, flags).fullmatch(string)


def search(pattern, string, flags=0):
    return compile(pattern, flags).search(string)


def sub(pattern, repl, string, count=0, flags=0):
    return compile(pattern, flags).sub(repl, string, count)


def subn(pattern, repl, string, count=0, flags=0):
    return compile(pattern, flags).subn(repl, string, count)


def split(pattern, string, maxsplit=0, flags=0):
    return compile(pattern, flags).split(string, maxsplit)


def findall(pattern, string, flags=0):
    return compile(pattern, flags).findall(string)


def finditer(pattern, string, flags=0):
    return compile(pattern, flags).finditer(string)


def __getattr__(name):
    return getattr(_real(), name)
