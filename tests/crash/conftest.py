"""The crash harness's figures, printed at the end of the session (tests/conftest.py), pass or fail;
the team profile's trials (tests/team/test_team_crash.py) add theirs too."""

REPORTS: list[str] = []
