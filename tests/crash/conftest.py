"""Prints the crash harness's figures at the end of the session, pass or fail."""

REPORTS: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for text in REPORTS:
        terminalreporter.section("crash harness")
        terminalreporter.write_line(text)
