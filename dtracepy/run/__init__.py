"""Running a tracer under a real DTrace and decoding its output into Python data."""
