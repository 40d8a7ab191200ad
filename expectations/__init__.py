"""Great Expectations suites that gate the thesis summary, run as blocking Dagster asset checks."""
