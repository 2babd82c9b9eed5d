"""``check -C`` names the script as the user gave it (session 10, part 1d): pcpp names the main
file relative to the working directory, so ``check -C /abs/x.d`` run elsewhere said ``abs/x.d``
(and ``./x.d`` said ``x.d``) in its errors and findings, and a missing quoted header of the main
file lost its column and its source line."""

from __future__ import annotations

import pytest

from dtracepy.cli import main


@pytest.fixture
def scripts(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "bad.d").write_text("#define X 1\nBEGIN { trace(X) }\nBEGIN { x = ; }\n")
    (tmp_path / "d" / "warn.d").write_text("#define X 1\nBEGIN { self->x = X; }\n")
    (tmp_path / "d" / "h.h").write_text("#define Y 2\n")
    (tmp_path / "d" / "inc.d").write_text('#include "d/h.h"\nBEGIN { trace(Y); }\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("spelling", ["absolute", "./d/bad.d", "d/../d/bad.d"])
def test_an_error_names_the_file_as_given(scripts, capsys, spelling):
    path = str(scripts / "d" / "bad.d") if spelling == "absolute" else spelling
    assert main(["check", "-C", path]) == 1
    assert capsys.readouterr().err.startswith(f'{path}:3:13: error: syntax error near ";"\n')


def test_a_finding_names_the_file_as_given(scripts, capsys):
    path = str(scripts / "d" / "warn.d")
    assert main(["check", "-C", path]) == 0
    assert capsys.readouterr().err == f"{path}:2:9: warning: self->x is assigned but never read [self-unused]\n"


def test_a_missing_header_of_the_main_file_is_at_its_name(scripts, capsys):
    path = str(scripts / "d" / "inc.d")
    assert main(["check", "-C", path]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:1:10: error: d/h.h: no such file"), err
    assert '#include "d/h.h"\n         ^' in err
    assert main(["check", "-C", "-I", str(scripts), path]) == 0
