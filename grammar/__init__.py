"""The D grammar, shipped inside the wheel as dtracepy.grammar (see pyproject.toml)."""
