"""The API fuzzing's plumbing: collected only when selected, and its count printed at the end."""

import sys
from pathlib import Path


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    """Skip importing the fuzz module when the marker expression leaves fuzz tests out.

    Collecting it loads the OpenAPI schema from the app (seconds): a run that deselects the fuzz
    tests anyway (``-m "not fuzz"``, say) need not pay for that.
    """
    if collection_path.name != "test_api_schema.py":
        return None
    markexpr = config.getoption("markexpr", "") or ""
    if not markexpr:
        return None
    try:
        from _pytest.mark.expression import Expression

        selected = Expression.compile(markexpr).evaluate(lambda name, **_: name in {"fuzz", "django_db"})
    except Exception:  # a pytest without this internal: collect, and let -m deselect
        return None
    return None if selected else True


def pytest_terminal_summary(terminalreporter) -> None:
    """Print how many cases the API fuzzing generated (the issue note quotes the number)."""
    module = sys.modules.get("tests.fuzz.test_api_schema")
    if module is None or not module.TALLY.cases:
        return
    summary = module.TALLY.write()
    terminalreporter.write_sep("-", "API fuzzing (schemathesis)")
    terminalreporter.write_line(
        f"{summary['generated_cases']} generated cases: {summary['operations']} operations × "
        f"{summary['personas']} personas in {summary['seconds']} s; by status {summary['by_status']}; "
        f"written to {module.SUMMARY_PATH.relative_to(module.SUMMARY_PATH.parents[1])}"
    )
