"""Session 27, leftovers28: small defects left by review 28 (L2, L4) and decl28.

- ``import`` of an expression nested past what the DSL's writer recurses (a chain of 15,000
  operators, which ``check`` reads) is refused at the expression, not at the script's ``1:1``.
"""

from __future__ import annotations

import pytest

_CHAIN = "1+" * 15000 + "1"


def _run(argv, capsys):
    from dtracepy.cli import main

    try:
        status = main(argv)
    except SystemExit as exit:
        status = exit.code
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("exact", [False, True], ids=["import", "import --exact"])
@pytest.mark.parametrize("text, where", [
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tx = " + _CHAIN + ";\n}\n", "5:2"),
    ("BEGIN { exit(0); }\n\nBEGIN\n/ " + _CHAIN + " /\n{\n\tx = 1;\n}\n", "4:3"),
    ("BEGIN { exit(0); }\n\nBEGIN\n/ " + _CHAIN + " /\n", "4:3"),
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tif (" + _CHAIN + ") {\n\t\tx = 1;\n\t}\n}\n", "5:6"),
    ("BEGIN { exit(0); }\n\nBEGIN\n{\n\tx = " + "a ? " * 3000 + "1" + " : 2" * 3000 + ";\n}\n", "5:2"),
], ids=["statement", "predicate", "predicate-no-body", "if-condition", "ternaries"])
def test_import_refuses_a_deep_expression_at_it(text, where, exact, tmp_path, capsys):
    """Review 28 L4: ``dtracepy import`` refused these at ``x.d:1:1`` (the script's first item);
    ``check`` reads each, and locates its errors: the refusal names the expression's line and
    column."""
    script = tmp_path / "x.d"
    script.write_text(text)
    status, out, err = _run(["import", *(["--exact"] if exact else []), str(script), "-o",
                             str(tmp_path / "x.py")], capsys)
    assert status == 1, err
    assert err.splitlines()[0] == (f"{script}:{where}: error: cannot import this expression: the DSL has no "
                                   "way to nest expressions this deeply"), err
    assert "Traceback" not in err
