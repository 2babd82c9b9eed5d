"""``dtracepy import``: D text -> a tracer module in the DSL."""
