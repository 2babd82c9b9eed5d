"""One error hierarchy.  Every message starts with its position, as compilers and editors expect:
``tcpq.py:14: error: ...`` or ``x.d:3:7: error: ...``.
"""

from __future__ import annotations

from dtracepy.source import Pos, shown_name, shown_text

__all__ = ["DTracePyError", "render_located", "shown_name", "shown_text", "DSyntaxError", "DSLError",
           "CompileError", "LayoutError"]


class DTracePyError(Exception):
    """Base of every error dtracepy raises on purpose.

    ``pos`` is where the problem is; ``source_line`` (optional) is the text of that line, shown
    under the message with a caret at the column.
    """

    severity = "error"

    def __init__(self, message: str, pos: Pos | None = None, source_line: str | None = None):
        super().__init__(message)
        self.message = message
        self.pos = pos
        self.source_line = source_line

    def __str__(self) -> str:
        return self.render(with_context=False)

    def render(self, with_context: bool = True) -> str:
        """The error as a compiler prints it, optionally followed by the source line and a caret."""
        return render_located(self.severity, self.message, self.pos,
                              self.source_line if with_context else None)


# The last message shown and how (message, shown_text(clipped(message))): a file's findings say one
# message at many lines (190,000 `#define` lines, each "#define needs the C preprocessor"), each
# clipped and made printable again.
_LAST_SHOWN = (None, None)


def shown_message(message: str) -> str:
    """A message as it is shown: its long words clipped (:func:`clipped`), as a terminal shows it
    (:func:`shown_text`).  The last one's answer is kept."""
    global _LAST_SHOWN
    last = _LAST_SHOWN
    if message == last[0]:
        return last[1]
    shown = shown_text(clipped(message))
    _LAST_SHOWN = (message, shown)
    return shown


def render_located(severity: str, message: str, pos: Pos | None, source_line: str | None = None) -> str:
    """``file:line:col: severity: message``, then (if given) the source line and a caret under the
    column.  Errors and check findings both print through this one function.  The file name is
    shown as :func:`~dtracepy.source.shown_name` shows it (``x\\xff.d``: the bytes of a name that
    is not UTF-8, as the shell shows them); in the message and the source line a byte that is not
    UTF-8 is shown as ``\\xff`` too, and in the source line, which is shown character for character
    above the caret, as U+FFFD, a carriage return or other control character (but a tab) as a
    space, so that the caret stays under its column and the terminal shows the line as it is."""
    head = f"{pos}: " if pos is not None else ""
    text = f"{head}{severity}: {shown_message(message)}"
    if source_line is not None:
        col = pos.col if pos is not None else None
        line, col = _window(source_line.rstrip("\r\n"), col)
        line = _shown_line(line)
        text += "\n" + line
        if col is not None:
            # Keep tabs under tabs so the caret lines up in a terminal.
            prefix = "".join(ch if ch == "\t" else " " for ch in line[: col - 1])
            text += "\n" + prefix + "^"
    return text


#: A source line longer than this is shown as this much of it around the column, between
#: ``...``: a 3 MB line of D was printed whole under its error.
MAX_LINE = 160


def _window(line: str, col: int | None) -> tuple[str, int | None]:
    """The part of ``line`` shown under a message, and the column of the caret in it."""
    if len(line) <= MAX_LINE:
        return line, col
    at = col - 1 if col is not None else 0
    start = max(0, min(at - MAX_LINE // 2, len(line) - MAX_LINE))
    end = start + MAX_LINE
    shown = ("..." if start else "") + line[start:end] + ("..." if end < len(line) else "")
    return shown, (col - start + (3 if start else 0)) if col is not None else None


#: A name (or number, or other word) longer than this is clipped in a message: a 3 MB identifier
#: was quoted whole in its warning.
MAX_WORD = 80
_LONG_WORD = None


def clipped(message: str) -> str:
    """``message`` with each word of letters, digits, ``_``, ``$`` and backquotes longer than
    :data:`MAX_WORD` shown as its first 40 characters, ``...`` and its length."""
    global _LONG_WORD
    last, end = -1, len(message)
    # A word longer than MAX_WORD is a stretch of more than MAX_WORD characters without a space:
    # looked for by jumps to the last space among the next MAX_WORD + 1 characters (a message of
    # words takes a step or two), before the regular expression, whose search tried every
    # character of every message (half of rendering one: 170,000 findings of a large script).
    while end - last - 1 > MAX_WORD:
        last = message.rfind(" ", last + 1, last + MAX_WORD + 2)
        if last < 0:
            break
    else:
        return message
    if _LONG_WORD is None:
        import re

        _LONG_WORD = re.compile(r"[A-Za-z0-9_$`]{%d,}" % (MAX_WORD + 1))
    return _LONG_WORD.sub(lambda m: f"{m[0][:40]}... ({len(m[0]):,} characters)", message)


def _shown_line(line: str) -> str:
    """A source line as a terminal can show it under a message, one character per character (so
    a caret counted in characters stays under its column)."""
    if line.isprintable() or line.replace("\t", " ").isprintable():
        return line
    return "".join(c if c.isprintable() or c == "\t" else "\ufffd" if "\udc80" <= c <= "\udcff" else " "
                   for c in line)


class DSyntaxError(DTracePyError):
    """D text that is not D: raised by the lexer and the parser (and the C preprocessor under -C).

    ``also``: the errors found after this one in the same reading, each shown after it (the C
    preprocessor reads on past an error, as cpp does: an ``#if ''`` above the ``#error`` of its
    ``#else`` is two errors)."""

    def __init__(self, message: str, pos: Pos | None = None, source_line: str | None = None, also=()):
        super().__init__(message, pos, source_line)
        self.also = tuple(also)

    def render(self, with_context: bool = True) -> str:
        first = super().render(with_context)
        if not self.also:
            return first
        return "\n".join([first, *(error.render(with_context) for error in self.also)])


class DSLError(DTracePyError):
    """A tracer that misuses the DSL; positioned at the user's Python file and line."""


class CompileError(DTracePyError):
    """A tracer the compiler refuses (an uncleared thread-local, a read before any assignment ...).

    When the checks refused it, ``findings`` holds every error finding (each located at the
    tracer's Python line) and :meth:`render` prints all of them, one per line."""

    def __init__(self, message: str, pos: Pos | None = None, source_line: str | None = None,
                 findings: tuple = ()):
        super().__init__(message, pos, source_line)
        self.findings = tuple(findings)

    @classmethod
    def from_findings(cls, findings) -> "CompileError":
        findings = tuple(findings)
        first = findings[0]
        return cls(f"{first.message} [{first.check}]", first.pos, first.source_line, findings)

    def render(self, with_context: bool = True) -> str:
        if not self.findings:
            return super().render(with_context)
        return "\n".join(f.render(with_context) for f in self.findings)


class LayoutError(DTracePyError):
    """C declarations that cannot be laid out (bad C, unknown type, unsupported ABI)."""


def close_matches(word: str, possibilities, n: int = 1, cutoff: float = 0.6) -> list[str]:
    """What a misspelt ``word`` may have meant, best first: the one home of dtracepy's "did you
    mean".  Names one edit away come before difflib's ranking by similarity, which alone put
    ``printm`` before ``printf`` for ``prinft``: two neighbours swapped first (the commonest typo),
    then one character changed, then one missing or added.  Words of fewer than three characters
    get difflib's ranking only (one edit from ``a`` is every short name)."""
    import difflib  # only when there is something to suggest: it costs start-up time

    possibilities = list(possibilities)
    ranked = difflib.get_close_matches(word, possibilities, n=len(possibilities) or 1, cutoff=cutoff)
    if len(word) >= 3:
        by_rank = {p: i for i, p in enumerate(ranked)}
        near = sorted((kind, by_rank.get(p, len(ranked)), p) for p in possibilities
                      if (kind := _one_edit(word, p)) is not None)
        if near:
            first = [p for _, _, p in near]
            ranked = first + [p for p in ranked if p not in first]
    return ranked[:n]


def _one_edit(a: str, b: str) -> "int | None":
    """How ``b`` is one edit from ``a``: 0, two neighbouring characters swapped; 1, one changed;
    2, one missing or added; None, it is not."""
    if a == b or abs(len(a) - len(b)) > 1:
        return None
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        if i + 1 < len(a) and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2:] == b[i + 2:]:
            return 0
        return 1 if a[i + 1:] == b[i + 1:] else None
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return 2 if longer[i + 1:] == shorter[i:] else None
