"""The catalog's YAML import and export in a real store (docs/jobs.md#catalog)."""

from __future__ import annotations

import duckdb
import pytest
import yaml

from outsidein.errors import LoadError
from outsidein.jobs.catalog import UNIVERSAL_JOB_MAP, export_yaml, import_yaml, read_catalog

DOC = """
jobs:
  - id: J-RENEW
    name: Renew a customer's contract
    steps:
      - id: S-QUOTE
        name: Confirm the quote
        outcomes:
          - id: O-1
            statement: Minimize the time it takes to confirm that a renewal quote is correct
          - id: O-2
            statement: Faster quotes in the app
  - id: J-FORECAST
    name: Forecast renewals
    parent: J-RENEW
    outcomes:
      - id: O-3
        statement: Minimize the likelihood of missing a renewal when a champion leaves
"""


def test_import_export_round_trip(store: duckdb.DuckDBPyConnection) -> None:
    done = import_yaml(store, DOC, "renewals.yaml")
    assert (done.jobs, done.outcomes) == (2, 3)
    assert done.steps == 1 + len(UNIVERSAL_JOB_MAP)  # a job without steps gets the job map
    assert {(oid, f.rule) for oid, f in done.warnings} == {
        ("O-2", "no_direction"),
        ("O-2", "no_metric"),
        ("O-2", "names_solution"),
    }
    parts = store.execute("SELECT * FROM outcome_parts WHERE outcome_id = 'O-3'").fetchone()
    assert parts is not None
    assert parts[1:5] == (
        "Minimize",
        "the likelihood",
        "of missing a renewal",
        "when a champion leaves",
    )
    catalog = read_catalog(store)
    forecast = next(j for j in catalog if j["id"] == "J-FORECAST")
    assert forecast["parent"] == "J-RENEW"
    assert [s["name"] for s in forecast["steps"]] == list(UNIVERSAL_JOB_MAP)
    text = export_yaml(store)
    again = yaml.safe_load(text)
    assert (
        yaml.safe_load(DOC)["jobs"][0]["steps"][0]["outcomes"]
        == (again["jobs"][1]["steps"][0]["outcomes"])
    )
    # importing the export changes nothing
    import_yaml(store, text)
    assert export_yaml(store) == text


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("jobs: [", r"renewals.yaml line \d+: not YAML"),
        ("jobs: 3", "a list under 'jobs'"),
        ("jobs:\n  - name: x", r"jobs\[0\]: 'id' is missing"),
        ("jobs:\n  - id: A\n    name: a\n    parent: B", "parent 'B' is not a job of the file"),
        ("jobs:\n  - id: A\n    name: a\n  - id: A\n    name: b", "job A: the id is used twice"),
        (
            "jobs:\n  - id: A\n    name: a\n    outcomes:\n      - id: O\n",
            "job A outcome O: 'statement' is missing",
        ),
    ],
)
def test_messy_catalogs_name_the_entry(
    store: duckdb.DuckDBPyConnection, doc: str, message: str
) -> None:
    with pytest.raises(LoadError, match=message):
        import_yaml(store, doc, "renewals.yaml")
    assert store.execute("SELECT count(*) FROM jobs").fetchone() == (0,)
