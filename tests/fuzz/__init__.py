"""Fuzzing the parsers: bodies made by structure-aware mutation of the real payloads (`seeds`,
`mutations`), run by `tests/test_fuzz.py` (a few hundred per parser in `make test`, 10,000 in
`make fuzz`)."""
