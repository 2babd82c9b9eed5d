"""The facts of D, one home each: keywords, built-in variables, functions, options, printf
conversions, probe descriptions and providers, dialects.

Every other part of dtracepy (lexer, parser, checks, DSL, compiler, importer, runner) reads these
modules and writes none of these facts itself.  Import the module you need directly
(``from dtracepy.facts import options``); this package imports nothing, so ``dtracepy check``
pays only for what it reads.
"""
