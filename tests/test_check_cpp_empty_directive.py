"""A directive without what it needs (``#undef`` alone, ``#if`` alone): pcpp reads past its end (an
IndexError), which ``check -C`` reported as "C preprocessor: IndexError: list index out of range"
at the file's first line.  It is cpp's error at the directive's line, as dtrace -C refuses it
(layout reads headers through pcpp too and gives the same words: ``preprocess.empty_directive_message``).
"""

from __future__ import annotations

import pytest

from dtracepy.cli import main
from dtracepy.preprocess import REDUCE_FROM
from real_dtrace import judge_scripts

CASES = {
    "#undef": "no macro name given in #undef directive",
    "#define": "no macro name given in #define directive",
    "#ifdef\n#endif": "no macro name given in #ifdef directive",
    "#ifndef\n#endif": "no macro name given in #ifndef directive",
    "#if\n#endif": "empty expression",
}
CLAUSE = "BEGIN\n{\n\ttrace(1);\n}\n"


@pytest.mark.parametrize("long", [False, True], ids=["short", "reduced"])
@pytest.mark.parametrize("directive", CASES)
def test_a_directive_without_its_operand_is_cpps_error_at_its_line(tmp_path, capsys, directive, long):
    before = CLAUSE * (REDUCE_FROM // len(CLAUSE) + 1) if long else CLAUSE  # (long: the reduced path)
    line = before.count("\n") + 1
    path = tmp_path / "x.d"
    path.write_text(before + directive + "\n" + CLAUSE)
    assert main(["check", "-C", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:{line}:1: error: C preprocessor: {CASES[directive]}\n" in err, err
    assert "IndexError" not in err


def test_dtrace_refuses_them_too():
    verdicts = judge_scripts({d: {"text": d + "\n" + CLAUSE, "flags": "C"} for d in CASES})
    for directive, verdict in verdicts.items():
        assert verdict and "Preprocessor failed" in verdict, (directive, verdict)
