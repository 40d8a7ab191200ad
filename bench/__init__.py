"""The benchmark suite (`make bench`, `python -m bench --help`): what a user feels on the demo,
the parts no orchestration can avoid, and the pipeline at scale next to bare DuckDB.

Benchmarks are measurements, not tests: nothing here asserts a timing. Results go to
`bench/results/<date>.json` (raw measurements, machine, commit, versions) and `<date>.md`.
"""
