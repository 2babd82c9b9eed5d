"""One module per CLI subcommand: each has run(args) -> exit status."""
