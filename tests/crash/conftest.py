"""Figures printed at the end of the session (tests/conftest.py), pass or fail: the crash harness's,
the team profile's trials (tests/team/test_team_crash.py) and its queue and reader test."""

REPORTS: list[str] = []
