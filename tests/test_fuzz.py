"""Every parser fuzzed with hypothesis on bodies mutated from the real payloads (`tests/fuzz/`):
each body is parsed into rows the raw layer loads, or refused with a SourceError naming source,
series and place; nothing else may be raised. `make test` runs a fixed few hundred bodies per
parser, `make fuzz` 10,000 new ones; a body cut at every byte is tried too, and the failing
bodies found on the way are replayed as regression fixtures (`tests/fixtures/fuzz/`)."""

import os
from pathlib import Path

import pytest
from hypothesis import given, settings

from assets.sources.base import CorruptData
from tests.conftest import FIXTURES
from tests.fuzz import harness
from tests.fuzz.regressions import REGRESSIONS
from tests.fuzz.seeds import BY_SLUG, FORMATS, first

FORMAT_IDS = [f.slug for f in FORMATS]


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_a_fuzzed_body_is_parsed_or_refused_with_a_source_error(fmt, tmp_path, capsys):
    campaign = harness.Campaign(fmt)

    @given(harness.bodies(fmt))
    def fuzz(fuzzed):
        campaign.run(fuzzed)

    fuzz()
    # Failures are collected rather than raised, so one run finds every distinct one; each is saved
    # as its smallest body (THESIS_FUZZ_FAILURES keeps them, for regression fixtures).
    saved = campaign.save(Path(os.environ.get("THESIS_FUZZ_FAILURES") or tmp_path))
    with capsys.disabled():
        print(f"\n{campaign.report()}")
    assert campaign.bodies >= settings.default.max_examples
    assert not campaign.failures, f"{campaign.report()}\nsmallest bodies: {[str(p) for p in saved]}"


@pytest.mark.parametrize("fmt", FORMATS, ids=FORMAT_IDS)
def test_a_body_cut_at_any_byte_is_parsed_or_refused_with_a_source_error(fmt, capsys):
    """Each seed's first rows, cut after every byte: the truncations hypothesis may not reach."""
    campaign = harness.Campaign(fmt)
    for seed in fmt.seeds():
        content = harness.whole(fmt, fmt.trim(first(3), seed.value))
        if len(content) > 8_000:
            continue  # (the IMF portal's wide export: refused at its header however it is cut)
        for end in range(len(content) + 1):
            campaign.run(harness.body(fmt, seed.key, content[:end], f"{seed.name}[:{end}]"))
    with capsys.disabled():
        print(f"\n{campaign.report()} (cut at every byte)")
    assert not campaign.failures, campaign.report()


@pytest.mark.parametrize("case", REGRESSIONS, ids=lambda r: f"{r.slug}/{r.file}")
def test_a_body_the_fuzzing_found_failing_is_now_parsed_or_refused_as_recorded(case):
    fmt = BY_SLUG[case.slug]
    fuzzed = harness.body(fmt, case.key, case.path.read_bytes(), case.file)
    outcome, exc = harness.judge(fmt, fuzzed)
    assert outcome != "broken", f"{case.raised} is back: {exc!r}"
    if case.now == "parsed":
        assert outcome == "parsed", exc
        return
    assert outcome == "refused" and case.problem in exc.problem, exc
    assert isinstance(exc, CorruptData) == (case.now == "rejected"), exc


def test_every_regression_fixture_is_registered():
    files = {p.relative_to(FIXTURES / "fuzz") for p in (FIXTURES / "fuzz").glob("*/*") if p.suffix != ".md"}
    assert files == {Path(r.slug) / r.file for r in REGRESSIONS}
