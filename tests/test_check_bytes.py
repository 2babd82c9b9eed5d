"""``dtracepy check`` reads D as dtrace does: bytes that are not UTF-8, CRLF line endings, a byte
order mark.

Each case is a file's bytes with the verdict dtrace gives it (Oracle's DTrace 2.0, ``dtrace -e``;
its lexer and pragma code are illumos'): accepted, or an error at a line.  ``check`` must say the
same: nothing where dtrace accepts, a located error (at that line, at the column named here)
where it rejects.  Where dtrace is installed, it judges the very same bytes, so the table cannot
drift from what dtrace does.
"""

from __future__ import annotations

import re

import pytest

from dtracepy.checks import CheckOptions, check_program
from dtracepy.errors import DSyntaxError, shown_text
from dtracepy.facts.dialects import dialect_named
from dtracepy.parser import parse_bytes
from real_dtrace import judge_scripts
from test_bad_input import run_check

BODY = b"BEGIN\r\n{\r\n\texit(0);\r\n}\r\n"
CR_DIRECTIVE = "carriage return"

#: name -> (bytes, -C?, None (dtrace accepts) or (line, col, what check's message says))
CASES = {
    # D strings are bytes: any byte may stand in a string, a character constant, a comment, a
    # #! line or a #pragma dtrace ignores; elsewhere it is a syntax error
    "latin1_in_string": (b'BEGIN { printf("caf\xe9\\n"); exit(0); }\n', False, None),
    "bytes_in_string": (b'BEGIN { printf("\xc3\xa9 \xff\xfe\\n"); exit(0); }\n', False, None),
    "latin1_in_predicate_string": (b'BEGIN /execname == "caf\xe9"/ { exit(0); }\n', False, None),
    "latin1_char_constant": (b"BEGIN { trace('\xe9'); exit(0); }\n", False, None),
    "latin1_in_comment": (b"/* caf\xe9 */\nBEGIN { exit(0); }\n", False, None),
    "latin1_in_shebang": (b"#!/usr/sbin/dtrace -s caf\xe9\nBEGIN { exit(0); }\n", False, None),
    "latin1_in_pragma_ident": (b'#pragma ident "caf\xe9"\nBEGIN { exit(0); }\n', False, None),
    "latin1_in_identifier": (b"BEGIN { x\xe9 = 1; exit(0); }\n", False, (1, 10, "invalid byte 0xe9")),
    "latin1_alone": (b"BEGIN { exit(0); }\n\xe9\n", False, (2, 1, 'syntax error near "\\xe9"')),
    # a UTF-8 byte order mark is text to dtrace (the C preprocessor drops it)
    "bom": (b"\xef\xbb\xbfBEGIN { exit(0); }\n", False, (1, 1, "byte order mark")),
    "bom_cpp": (b"\xef\xbb\xbfBEGIN { exit(0); }\n", True, None),
    # CRLF: "\r" is a blank in D, but not in a control line, where it ends the last word
    "crlf": (BODY, False, None),
    "crlf_syntax_error": (b"BEGIN\r\n{\r\n\tx = 1 +;\r\n}\r\n", False, (3, 9, 'syntax error near ";"')),
    "cr_only": (b"BEGIN\r{\r\tx = 1 +;\r}\r", False, (1, 17, 'syntax error near ";"')),
    "cr_in_string": (b'BEGIN\r\n{\r\n\ttrace("a\rb");\r\n}\r\n', False, None),
    "crlf_shebang": (b"#!/usr/sbin/dtrace -qs\r\n" + BODY, False, None),
    "crlf_pragma_option": (b"#pragma D option quiet\r\n" + BODY, False, (1, 23, CR_DIRECTIVE)),
    "crlf_pragma_option_value": (b"#pragma D option bufsize=8m\r\n" + BODY, False, (1, 28, CR_DIRECTIVE)),
    "crlf_pragma_option_blank": (b"#pragma D option quiet \r\n" + BODY, False, (1, 24, CR_DIRECTIVE)),
    "crlf_depends_on": (b"#pragma D depends_on provider syscall\r\n" + BODY, False, (1, 38, CR_DIRECTIVE)),
    "crlf_line": (b'#line 5 "x.d"\r\n' + BODY, False, (1, 14, CR_DIRECTIVE)),
    "crlf_null_directive": (b"#\r\n" + BODY, False, (1, 2, CR_DIRECTIVE)),
    "crlf_pragma_ident": (b'#pragma ident "x"\r\n' + BODY, False, None),
    "crlf_pragma_not_d": (b"#pragma weak foo\r\n" + BODY, False, None),
    "crlf_pragma_cpp": (b"#pragma D option quiet\r\n" + BODY, True, None),
}


def _check(data: bytes, cpp: bool):
    """check's verdict on ``data``: None, or (line, col, message) of its first error."""
    try:
        program = parse_bytes(data, "t.d", cpp=cpp)
    except DSyntaxError as err:
        return err.pos.line, err.pos.col, err.message
    source = data.decode("utf-8", "surrogateescape")
    errors = [f for f in check_program(program, CheckOptions(dialect=dialect_named("oracle")), source=source)
              if f.severity == "error"]
    return (errors[0].pos.line, errors[0].pos.col, errors[0].message) if errors else None


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reads_bytes_and_line_endings_as_dtrace_does(name):
    data, cpp, expected = CASES[name]
    found = _check(data, cpp)
    if expected is None:
        assert found is None
    else:
        assert found is not None, "check accepts what dtrace rejects"
        line, col, message = found
        assert (line, col) == expected[:2] and expected[2] in shown_text(message), found


def test_dtrace_gives_the_verdicts_of_the_table(tmp_path):
    jobs = {}
    for name, (data, cpp, _expected) in CASES.items():
        path = tmp_path / f"{name}.d"
        path.write_bytes(data)
        jobs[name] = {"path": str(path), "flags": "C" if cpp else ""}
    verdicts = judge_scripts(jobs)
    for name, (_data, _cpp, expected) in CASES.items():
        verdict = verdicts[name]
        if expected is None:
            assert verdict is None, f"{name}: dtrace rejects it: {verdict}"
        else:
            assert verdict is not None, f"{name}: dtrace accepts it"
            match = re.search(r"line (\d+)", verdict)
            assert match and int(match.group(1)) == expected[0], f"{name}: {verdict}"


def test_the_command_shows_the_line_as_the_file_has_it(tmp_path):
    """The source line under an error: a byte that is not UTF-8 as U+FFFD, a carriage return as a
    blank, so the caret stays under the column (one character each)."""
    path = tmp_path / "b.d"
    path.write_bytes(b"BEGIN\r{ x\xe9 = 1; }\r\n")
    result = run_check(str(path))
    assert result.returncode == 1
    lines = result.stderr.decode("utf-8").splitlines()
    assert lines[0].startswith(f"{path}:1:10: error: invalid byte 0xe9 (not UTF-8")
    assert lines[1] == "BEGIN { x\ufffd = 1; }"
    assert lines[2] == " " * 9 + "^"
    assert "Traceback" not in result.stderr.decode("utf-8")


def test_directives_and_findings_count_lines_as_d_does(tmp_path):
    """A form feed or a lone carriage return is a blank in D, not a line break: a finding is at
    D's line, and `ignore` on that line silences it (str.splitlines counted lines otherwise)."""
    data = b"BEGIN\n{\n\ttrace(self->a);\f\n\ttrace(self->b); /* dtracepy: ignore */\r\n}\n"
    program = parse_bytes(data, "f.d")
    findings = check_program(program, CheckOptions(), source=data.decode())
    assert [(f.check, f.pos.line) for f in findings] == [("self-undefined", 3)]
