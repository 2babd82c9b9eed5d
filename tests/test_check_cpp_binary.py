"""check -C of binary input without a NUL (layoutfix's report): pcpp's lexer copied the rest of the
file for each character it could not read, 12 s for 1.2 MB of random bytes and minutes for 4 MB.
Past a budget of copying, the character is refused where it stands, as layout refuses it."""

from __future__ import annotations

import random

from dtracepy.cli import main


def _random_bytes(size: int) -> bytes:
    rng = random.Random(9)
    return bytes(rng.randrange(1, 256) for _ in range(size))


def test_check_C_refuses_binary_input_at_a_stray_character(tmp_path, capsys):
    path = tmp_path / "r.d"
    path.write_bytes(_random_bytes(400_000))
    assert main(["check", "-C", str(path)]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"{path}:") and "error: stray '\\x" in first and "binary file" in first, first


def test_a_few_stray_characters_are_still_read_as_cpp_reads_them(tmp_path, capsys):
    # (under the budget: what pcpp makes of them is left to D's lexer, which says where they are)
    path = tmp_path / "s.d"
    path.write_bytes(b"BEGIN\n{\n\ttrace(1);\n}\n\xe9\n")
    assert main(["check", "-C", str(path)]) == 1
    err = capsys.readouterr().err
    assert "error: stray" not in err and f"{path}:5:1: error: syntax error" in err, err
