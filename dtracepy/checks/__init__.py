"""Findings over a D program: lifecycle, printf, names, safety (issue 5).

The contract used by ``dtracepy check`` and by the DSL compiler:

* :class:`CheckOptions` - which checks are off, the dialect, strictness, the macro arguments given;
* :class:`Finding` - one located warning or error with its check name;
* :func:`check_program` - every finding for a program, in source order.

The checks are listed (name, family, severity, summary) in :mod:`dtracepy.checks.registry`.

Silencing one finding in the source
-----------------------------------
A comment ``/* dtracepy: ignore[check-name] */`` (several names: ``ignore[a, b]``; every check:
``ignore``) on the finding's line or on the line before silences it.  A comment
``/* dtracepy: disable[check-name] */`` anywhere turns a check off for the whole file, like
``--disable``.  ``/* dtracepy: args=2 */`` documents that the script takes two macro arguments
(``$1``, ``$2``).  The parser drops comments inside clauses, so these are read from the source
text: pass ``source=`` to :func:`check_program` (``dtracepy check`` does).  Without it only
top-level :class:`~dtracepy.tree.Comment` nodes that carry positions are seen.
"""

from __future__ import annotations

import functools
import re
from operator import eq as _eq, le as _le, lt as _lt

import attrs

from dtracepy import tree as t
from dtracepy.errors import MAX_WORD, render_located
from dtracepy.source import MAX_NAME, Pos, lines_and_columns, place_at, plainly_ordered, position_at, shown_name


def _dialect(value):
    from dtracepy.facts.dialects import dialect_named

    return dialect_named(value)


# The classes here are made on every ``dtracepy check`` run; without __slots__ attrs defines them
# about twice as fast (they are few and small, so the memory does not matter).
@attrs.frozen(slots=False)
class CheckOptions:
    disabled: frozenset = frozenset()
    #: A :class:`dtracepy.facts.dialects.Dialect` (a dialect's name is resolved to one).
    dialect: object = attrs.field(default="illumos", converter=_dialect)
    #: The dialect was chosen (``check --dialect``; a tracer's ``Tracer(dialect=...)``, ``compile
    #: --dialect`` or the dialect of the dtrace ``run`` uses), not assumed: a function it lacks is an
    #: error (``dialect-function``).  Assumed, a script may be written for another platform.
    dialect_given: bool = False
    strict: bool = False
    #: How many macro arguments the script is given (``$1``..``$N``); None: unknown.
    macro_args: int | None = None
    #: The script runs with ``-w`` (destructive actions allowed) whatever its text says.
    destructive: bool = False
    #: The ``-I`` directories the script is preprocessed with (``check -I``), besides its ``#!``
    #: line's: where the destructive check's expansion reads quoted headers, as dtrace -C does.
    include_dirs: tuple = ()  # (no converter=tuple: attrs would read tuple's signature, which costs a tokenize)
    #: What the ``destructive`` check reads a program with ``#define`` (or ``#error``) through: the
    #: program as ``dtrace -C`` expands it, :func:`dtracepy.parser.expanded` (the checks cannot
    #: print, preprocess or parse: they sit below those).  The commands that run the checks hand it;
    #: None: that check does not look past the macros.
    expand: object = None
    #: Set when the DSL compiler checks a tracer: the tracer's clear points (objects with
    #: ``name``, ``probes``, ``pos``: ``t.clear``/``t.keep``).  Then the ``tracer`` family runs and
    #: :data:`~dtracepy.checks.registry.COMPILER_RULES` findings are errors.
    clear_points: tuple | None = None
    #: Thread-locals the tracer keeps set on purpose (``t.keep``, with or without the cleanup):
    #: ``self-leak`` does not report them.
    kept: frozenset = frozenset()

    @property
    def compiling(self) -> bool:
        return self.clear_points is not None


# (slotted: a file with a finding on each of its 215,000 lines holds 215,000 of them, and an
# instance dict was 180 bytes more each, 40 MB of the 300 MB issue 8 allows)
@attrs.frozen
class Finding:
    severity: str  # "error" or "warning"
    message: str
    check: str
    pos: Pos | None = None
    source_line: str | None = None

    def render(self, with_context: bool = False) -> str:
        # (the fields as stored, not through their properties: see said below)
        line = _raw_line(self)
        if line.__class__ is _Said:
            return _said_rendered(self, line, with_context)
        pos = _raw_pos(self)
        return render_located(_raw_severity(self), f"{_raw_message(self)} [{_raw_check(self)}]",
                              position_at(pos) if pos.__class__ is int else pos, line if with_context else None)


# A finding made by :func:`said` holds, until asked, neither its message nor its position nor its
# source line, but what makes them: in its ``pos`` slot the node's stored offset (an int, see
# ``source.register_text``: the node's own), in its ``message`` slot the word its message says
# (the thread-local's name: the node's own string), and in its ``source_line`` slot a
# :class:`_Said` shared by all findings of one template (the template and the file's lines).  Its
# fields read as any finding's (made on each reading, never kept: the finding stays 80 bytes);
# equality, hashing, ``repr``, pickling and ``attrs.evolve`` read the fields.  A file with a
# finding on each of its 226,000 lines held a message and a Pos each, 160 bytes a finding (36 MB),
# and made them before the findings were ordered (a fifth of such a check's instructions).
_POS_SLOT = Finding.__dict__["pos"]
_MESSAGE_SLOT = Finding.__dict__["message"]
_LINE_SLOT = Finding.__dict__["source_line"]
_raw_pos, _raw_message, _raw_line = _POS_SLOT.__get__, _MESSAGE_SLOT.__get__, _LINE_SLOT.__get__


class _Said:
    """What a finding made by :func:`said` holds in its ``source_line`` slot."""

    __slots__ = ("template", "lines", "shown")

    def __init__(self, template: str, lines):
        self.template = template  # (str.format's, of one word)
        self.lines = lines  # (the file's lines, as check_program splits them; None: no source)
        self.shown = None  # (how a finding of it is rendered alone: see _said_rendered)


def _pos(finding):
    at = _raw_pos(finding)
    if at.__class__ is int:
        return position_at(at)
    return at


def _message(finding):
    said = _raw_line(finding)
    if said.__class__ is _Said:
        return said.template.format(_raw_message(finding))
    return _raw_message(finding)


def _source_line(finding):
    said = _raw_line(finding)
    if said.__class__ is _Said:
        lines = said.lines
        if lines is None:
            return None
        line = position_at(_raw_pos(finding))[1]
        return lines[line - 1] if line <= len(lines) else None
    return said


Finding.pos = property(_pos, _POS_SLOT.__set__, doc="Where: a Pos, or None.")
Finding.message = property(_message, _MESSAGE_SLOT.__set__, doc="What the finding says.")
Finding.source_line = property(_source_line, _LINE_SLOT.__set__, doc="The text of its line, or None.")
_FindingBuilder = type("FindingBuilder", (Finding,), {
    # (a subclass of the same slots taking plain stores to them, as tree.builder's: a finding's
    # five stores through attrs' __init__ cost 5,000 instructions)
    "__slots__": (), "__module__": __name__, "__init__": object.__init__,
    "__setattr__": object.__setattr__, "__delattr__": object.__delattr__,
    "pos": _POS_SLOT, "message": _MESSAGE_SLOT, "source_line": _LINE_SLOT})


def rendered(findings) -> list[str]:
    """``[finding.render() for finding in findings]``: the same lines, those of the findings made
    by :func:`said` with one template written together (see :func:`_rendered_run`), wherever they
    stand among the others.  (Grouped by template, not by run: where each clause gives findings
    of two templates in turn, runs of one cost a group's setup each, 40 % more instructions for
    20,000 clauses each with its own thread-local.)"""
    raws = list(map(_raw_line, findings))
    if raws and raws[0].__class__ is _Said and raws.count(raws[0]) == len(raws):  # (one template: the usual block)
        return _rendered_run(findings, raws[0].template)
    out: list = [None] * len(findings)
    groups: dict = {}  # (the _Said, by identity) -> the indices of its findings
    for at, said_ in enumerate(raws):
        if said_.__class__ is _Said:
            group = groups.get(id(said_))
            if group is None:
                groups[id(said_)] = group = (said_, [])
            group[1].append(at)
        else:
            out[at] = findings[at].render()
    for said_, ats in groups.values():
        for at, line in zip(ats, _rendered_run([findings[at] for at in ats], said_.template)):
            out[at] = line
    return out


_raw_severity, _raw_check = Finding.__dict__["severity"].__get__, Finding.__dict__["check"].__get__


def _rendered_run(run: list, template: str) -> list[str]:
    """What :meth:`Finding.render` gives for each of ``run`` (findings made by :func:`said` with
    ``template``), made by ``str.format`` in C with the lines and columns found together
    (``source.lines_and_columns``), when it is plainly the same: one severity and check, one text
    without a line map, a file name ``Pos`` shows as it is, a template of one ``{}`` and messages
    that :func:`~dtracepy.errors.shown_message` leaves as they are (printable, and no longer than
    :data:`~dtracepy.errors.MAX_WORD` whole: no word to clip).  Else each finding's own render.
    (Rendering 226,000 findings one by one, a Pos and a message made for each, was a tenth of
    such a check's instructions.)"""
    from itertools import repeat

    words = list(map(_raw_message, run))
    severities, checks = set(map(_raw_severity, run)), set(map(_raw_check, run))
    positions = None
    if len(severities) == 1 and len(checks) == 1:
        (severity,), (check,) = severities, checks
        if _plainly_shown(severity, template, check, words):
            positions = lines_and_columns(list(map(_raw_pos, run)))
    if positions is None:
        return [finding.render() for finding in run]
    file, lines, cols = positions
    line = "{0}:{1}:{2}: {3}: " + template.replace("{}", "{4}") + " [{5}]"
    return list(map(line.format, repeat(_shown_file(file)), lines, cols, repeat(severity), words, repeat(check)))


def _said_rendered(finding, said_: _Said, with_context: bool = False) -> str:
    """What :meth:`Finding.render` gives for ``finding``, made by :func:`said`: written at once
    where it plainly is the same (see :func:`_rendered_run`), no ``Pos`` made (a finding rendered
    alone, as ``compile`` renders each, made its message and ``Pos`` then shown them: 24,000
    instructions, against 15,000 for one whose fields were made with it); else through
    :func:`~dtracepy.errors.render_located` (``with_context``: its source line too, read at the
    line of the one ``Pos`` made)."""
    word, severity, check, template = _raw_message(finding), _raw_severity(finding), _raw_check(finding), \
        said_.template
    at = _raw_pos(finding)
    if with_context:
        pos, lines = position_at(at), said_.lines
        return render_located(severity, f"{template.format(word)} [{check}]", pos,
                              lines[pos[1] - 1] if lines is not None and pos[1] <= len(lines) else None)
    shown = said_.shown
    if shown is None or shown[0] != severity or shown[1] != check:
        # (told once for the template's findings: a fifth of a rendering) the longest word written
        # at once (-1: none), and what stands before and after it after the column
        before, _, after = template.partition("{}")
        shown = said_.shown = (severity, check, MAX_WORD - len(template) - len(check) - 3 if _plainly_shown(
            severity, template, check, ("",)) else -1, f": {severity}: {before}", f"{after} [{check}]")
    if len(word) <= shown[2] and word.isprintable():
        place = place_at(at)
        if place is not None:
            file = place[0]
            if not (file.__class__ is str and file and len(file) <= MAX_NAME and file.isprintable()):
                file = shown_name(file)
            return f"{file}:{place[1]}:{place[2]}{shown[3]}{word}{shown[4]}"
    return render_located(severity, f"{template.format(word)} [{check}]", position_at(at))


def _plainly_shown(severity: str, template: str, check: str, words) -> bool:
    """Whether :func:`~dtracepy.errors.render_located` shows the messages ``template.format(word)``
    of ``words`` with ``severity`` and ``check`` as they are: a template of one ``{}``, and
    messages that :func:`~dtracepy.errors.shown_message` leaves alone (printable, and no longer
    than :data:`~dtracepy.errors.MAX_WORD` whole: no word to clip)."""
    if template.count("{") != 1 or template.count("}") != 1 or "{}" not in template:
        return False
    said_ = f"{severity}{template}{check}"
    return said_.__class__ is str and said_.isprintable() and "".join(words).isprintable() \
        and max(map(len, words)) + len(template) + len(check) + 3 <= MAX_WORD


def _shown_file(file):
    """A file name as a ``Pos`` shows it (:func:`~dtracepy.source.shown_name` but where it is plain)."""
    if file.__class__ is str and file and len(file) <= MAX_NAME and file.isprintable():
        return file
    return shown_name(file)


def said(severity: str, check: str, at: int, word: str, template: _Said) -> Finding:
    """A finding at stored offset ``at`` (a parsed node's: ``node._at``, an int) whose message is
    ``template.template.format(word)``, made when asked (see above)."""
    made = _FindingBuilder()
    made.severity = severity
    made.check = check
    made.pos = at
    made.message = word
    made.source_line = template
    made.__class__ = Finding
    return made


# Patterns, compiled (by re, which caches them) only when a line says "dtracepy:" at all.
_DIRECTIVE = r"dtracepy:\s*(ignore|disable)\b(?:\s*\[([^\]]*)\])?"
_ARGS = r"dtracepy:\s*args\s*[=:]?\s*(\d+)"


@attrs.define(slots=False)
class Directives:
    """What ``dtracepy:`` comments in the source say."""

    ignore: dict = attrs.Factory(dict)  # line -> set of names ("*" = every check)
    disable: set = attrs.Factory(set)
    args: int | None = None
    problems: list = attrs.Factory(list)  # (line, col, message): unknown check names, bad args=N

    @classmethod
    def scan(cls, lines) -> "Directives":
        found = cls()
        for number, line in lines:
            if "dtracepy:" not in line:
                continue
            for match in re.finditer(_DIRECTIVE, line):
                names = {n.strip() for n in (match.group(2) or "*").split(",") if n.strip()} or {"*"}
                from dtracepy.checks.registry import BY_NAME

                for name in sorted(names - set(BY_NAME) - {"*"}):
                    col = match.start(2) + match.group(2).find(name) + 1
                    found.problems.append((number, col, f"dtracepy: {match.group(1)}[...] names no known check "
                                                        f"{name!r}{_did_you_mean(name, BY_NAME)}"))
                names &= set(BY_NAME) | {"*"}
                if not names:
                    continue
                if match.group(1) == "ignore":
                    found.ignore.setdefault(number, set()).update(names)
                else:
                    found.disable.update(names)
            match = re.search(_ARGS, line)
            if match:
                if len(match.group(1)) > 4:  # (dtrace takes at most a few hundred arguments)
                    found.problems.append((number, match.start(1) + 1,
                                           f"dtracepy: args={match.group(1)[:12]}... is not a number of "
                                           "macro arguments a script can be given"))
                else:
                    found.args = int(match.group(1))
        return found

    def silences(self, finding: Finding, marks=None) -> bool:
        """``marks``: how the source's ``#line`` directives name its lines (a comment silences
        the finding on the line it is on, or the one after, whatever a ``#line`` names them)."""
        if finding.check in self.disable or "*" in self.disable:
            return True
        if finding.pos is None:
            return False
        line = finding.pos.line if marks is None else marks.physical(finding.pos.file, finding.pos.line)
        if line is None:
            return False
        for line in (line, line - 1):
            names = self.ignore.get(line)
            if names and ("*" in names or finding.check in names):
                return True
        return False


def _did_you_mean(name, known) -> str:
    from dtracepy.errors import close_matches

    close = close_matches(name, sorted(known))
    return f"; did you mean {close[0]}?" if close else ""


def _comment_lines(program):
    for item in program.items:
        if isinstance(item, t.Comment) and item.pos is not None:
            for offset, line in enumerate(item.text.splitlines() or [""]):
                yield item.pos.line + offset, line


def source_line_of(lines, marks, pos) -> str | None:
    """Of the source's ``lines``, the one ``pos`` names; through ``marks``, how the source's
    ``#line`` directives name its lines (:class:`dtracepy.source.LineMarks`), when it has one:
    None when no one line is named so (never another line's text)."""
    if lines is None or pos is None:
        return None
    line = pos.line
    if marks is not None:
        line = marks.physical(pos.file, line)
        if line is None:
            return None
    return lines[line - 1] if 1 <= line <= len(lines) else None


def check_program(program, options: CheckOptions | None = None, source: str | None = None, *,
                  index_of=None) -> list[Finding]:
    """Every finding for ``program``, in source order.

    ``source`` is the program's text, if there is one: it gives findings their source line and
    lets ``dtracepy:`` comments silence them (see the module docstring).  ``index_of``: a
    :class:`~dtracepy.checks.context.Context` of ``program`` whose index of the tree the checks
    read, not made again (the compiler's).
    """
    from dtracepy.checks import lifecycle, names, printf, rules, safety
    from dtracepy.checks.context import Context
    from dtracepy.checks.registry import CHECKS, COMPILER_RULES

    options = options or CheckOptions()
    # Lines as D counts them: ended by "\n" only (str.splitlines also ends one at "\r", "\f",
    # "\v", "\x1c".., which D reads as blanks within a line: it would put findings under the
    # wrong line and let a directive silence the wrong one).
    lines = source.split("\n") if source is not None else None
    if lines is not None:
        # (only a line that says "dtracepy:" says anything: most files have none)
        directives = Directives.scan(enumerate(lines, start=1) if "dtracepy:" in source else ())
    else:
        directives = Directives.scan(_comment_lines(program))
    if options.macro_args is None and directives.args is not None:
        options = attrs.evolve(options, macro_args=directives.args)
    ctx = Context(program, options, lines, index_of)
    findings: list[Finding] = []
    file = ctx.first_pos.file if ctx.first_pos is not None else "<string>"
    marks = ctx.marks if lines is not None else None  # (the #line directives of a source read plain)
    if "directive" not in options.disabled:
        for line, col, message in directives.problems:
            findings.append(Finding("error", message, "directive",
                                    Pos(*(file, line) if marks is None else marks(line), col),
                                    lines[line - 1] if lines is not None and 0 < line <= len(lines) else None))
    families = [lifecycle, printf, names, safety]
    if options.compiling:
        from dtracepy.checks import tracer

        families.append(tracer)
    else:
        families.append(rules)  # (a tracer gets them from the compiler, at its Python lines)
    disabled, compiling = options.disabled, options.compiling
    # (no "dtracepy:" comment silences anything: the usual file, where asking for each finding
    # was a tenth of the work of a file with a finding on each of 170,000 lines)
    silences = directives.silences if directives.ignore or directives.disable else None
    if silences is not None and marks is not None:
        silences = functools.partial(directives.silences, marks=marks)
    count = len(lines) if lines is not None else 0
    for family in families:
        family_name = family.__name__.rsplit(".", 1)[-1]
        if all(c.name in disabled for c in CHECKS if c.family == family_name):
            continue
        found = family.run(ctx)
        if silences is None and not compiling and not disabled and marks is None:
            # (nothing to drop or make an error: the findings as they come, but a source line
            # for those made without one; a step of this loop for each was a tenth of the work
            # of a file with a finding on each of 226,000 lines)
            start = len(findings)
            findings += found
            if lines is not None:
                for at in range(start, len(findings)):
                    finding = findings[at]
                    # (the slot as stored: a finding made by said() has its line, made when asked)
                    if _raw_line(finding) is None and finding.pos is not None and 1 <= finding.pos.line <= count:
                        findings[at] = attrs.evolve(finding, source_line=lines[finding.pos.line - 1])
            continue
        for finding in found:
            if finding.check in disabled or silences is not None and silences(finding):
                continue
            if compiling and finding.check in COMPILER_RULES and finding.severity != "error":
                finding = attrs.evolve(finding, severity="error")
            if finding.source_line is None and lines is not None and finding.pos is not None:
                if marks is not None:
                    finding = attrs.evolve(finding, source_line=source_line_of(lines, marks, finding.pos))
                elif 1 <= finding.pos.line <= count:
                    finding = attrs.evolve(finding, source_line=lines[finding.pos.line - 1])
            findings.append(finding)
    # (what only the checks needed, the index of the tree and each clause's accesses, freed
    # before the findings are ordered: they were a fifth of the peak of a file with a finding on
    # each of 226,000 lines)
    del ctx
    if _in_order(findings):
        return findings
    keys = [_order(finding) for finding in findings]
    findings, keys = _sorted(findings, keys)
    # a clause-local read above any assignment to it is said once, as the error (this-unset's
    # warning is about the order of firing, which does not matter then)
    refused = {f.pos for f in findings if f.check == "used-before-assigned" and f.message.startswith("this->")}
    if refused:
        kept = [(f, k) for f, k in zip(findings, keys) if not (f.check == "this-unset" and f.pos in refused)]
        findings, keys = [f for f, _ in kept], [k for _, k in kept]
    return _dedupe(findings, keys)


def _order(finding: Finding):
    pos = finding.pos
    if pos is None:
        return ("", 0, 0, finding.check)
    return (pos.file, pos.line, pos.col or 0, finding.check)


def _in_order(findings) -> bool:
    """Whether ``findings`` are in order with no two at one place, told from their stored offsets
    alone when each holds one (see :func:`said`), all of one text without a line map, each above
    the one before: then their lines and columns, so their :func:`_order` keys, rise too, and
    there is nothing to reorder or drop (see :func:`_dedupe`).  No position is made: a file with
    a finding on each of its 226,000 lines made a Pos and a key for each here."""
    if len(findings) < 2:
        return False
    ats = list(map(_raw_pos, findings))
    return (all(at.__class__ is int for at in ats) and all(map(_lt, ats, ats[1:]))
            and plainly_ordered(ats[0], ats[-1]))


def _sorted(findings, keys):
    """``findings`` and their ``keys`` (:func:`_order`'s), ordered by key, as a stable sort orders
    them.  (Most lists come in order already: told without moving anything.)"""
    if all(map(_le, keys, keys[1:] if len(keys) > 1 else ())):
        return findings, keys
    order = sorted(range(len(keys)), key=keys.__getitem__)
    return [findings[i] for i in order], [keys[i] for i in order]


def _dedupe(findings, keys=None):
    """``findings`` (in order) without a repeat of one before it: the same position, check and
    message.  ``keys``: their :func:`_order` keys."""
    # (a repeat has the key of the one it repeats, so in a list in order with no two neighbours of
    # one key there is none: told in C, without a tuple and a set entry for each finding, which
    # were a tenth of the peak of a file with a finding on each of 226,000 lines)
    if keys is not None and not any(map(_eq, keys, keys[1:] if len(keys) > 1 else ())):
        return findings
    # (the usual list has no two alike: told by a set of the keys, without a Python step for each)
    if len({(f.pos, f.check, f.message) for f in findings}) == len(findings):
        return findings
    seen = set()
    out = []
    for finding in findings:
        key = (finding.pos, finding.check, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def count(findings, strict: bool = False) -> int:
    """How many findings count towards the exit status: errors, plus warnings when strict."""
    return sum(1 for f in findings if f.severity == "error" or strict)
