"""Probe descriptions: validation (a malformed one is a located error) and entry -> return."""

from __future__ import annotations

import re

from dtracepy.errors import DSLError

# One field: letters, digits and the characters probe names use (`-` `_` `.`), globs (`* ? [ ] !
# \`), macro variables (`$target`, `$1`) and a backquote never; at most four fields.
_FIELD = re.compile(r"(?:[A-Za-z0-9_.\-*?!\\\[\]]|\$(?:\$?[0-9]+|[A-Za-z_][A-Za-z0-9_]*))*")


def check_desc(text, pos) -> str:
    """``text`` if it is a well-formed probe description, else a DSLError at ``pos``."""
    if not isinstance(text, str):
        raise DSLError(f"a probe description is a string such as \"syscall::read:entry\", not "
                       f"{type(text).__name__}", pos)
    if "," in text:
        raise DSLError(f"probe description {text!r} holds a comma: give each description as its "
                       "own argument, t.probe(\"a:b:c:entry\", \"a:b:d:entry\")", pos)
    if not text:
        raise DSLError("empty probe description", pos)
    fields = text.split(":")
    if len(fields) > 4:
        raise DSLError(f"probe description {text!r} has {len(fields)} fields; at most four "
                       "(provider:module:function:name)", pos)
    for field in fields:
        if not _FIELD.fullmatch(field):
            bad = next((c for c in field if not re.match(r"[A-Za-z0-9_.\-*?!\\\[\]$]", c)), None)
            what = f"the character {bad!r}" if bad else "a malformed macro variable"
            raise DSLError(f"malformed probe description {text!r}: {what} in field {field!r}", pos)
        if field.count("[") != field.count("]"):
            raise DSLError(f"malformed probe description {text!r}: unbalanced [ ] in {field!r}", pos)
    if all(not f for f in fields):
        raise DSLError(f"probe description {text!r} names nothing", pos)
    return text


def fields(text: str) -> tuple[str, str, str, str]:
    parts = text.split(":")
    parts = [""] * (4 - len(parts)) + parts
    return tuple(parts)  # type: ignore[return-value]


def return_of(text: str) -> str | None:
    """The return probe matching an entry probe (``fbt:ip:f:entry`` -> ``fbt:ip:f:return``), or
    None when the description is not a function-entry probe."""
    if fields(text)[3] != "entry":
        return None
    return text[: -len("entry")] + "return"
