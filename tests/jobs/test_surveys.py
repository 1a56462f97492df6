"""Outcome surveys in the store: the stated random order (seeded, recorded), invitations whose
tokens are kept only as hashes, the CSV instrument's round trip and its import errors, and
catalog editing with the linter's verdicts (docs/jobs.md#surveys)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from outsidein.errors import NotFoundError
from outsidein.jobs.answers import answers
from outsidein.jobs.catalog import import_yaml, read_catalog
from outsidein.jobs.editing import CatalogEditError, delete_job, delete_step, save_job, save_outcome
from outsidein.jobs.instrument import SurveyImportError, columns, import_csv, template_csv
from outsidein.jobs.surveys import (
    SurveyError,
    SurveyLinkError,
    create_survey,
    draw_order,
    find_invitation,
    get_survey,
    invite,
    links_csv,
    submit,
)
from outsidein.outbox.surveys import send_invitations
from outsidein.settings.outbox import OutboxSettings
from outsidein.store import connect

CATALOG = """
jobs:
  - id: J1
    name: Renew a contract
    steps:
      - id: J1-S1
        name: Confirm
        outcomes:
          - {id: O1, statement: Minimize the time it takes to confirm that a quote is correct}
          - {id: O2, statement: Minimize the likelihood of missing a renewal date}
          - {id: O3, statement: Minimize the number of approvals needed to sign a renewal}
"""


def store(tmp_path: Path, contacts: int = 6) -> duckdb.DuckDBPyConnection:
    con = connect(tmp_path / "s.duckdb")
    now = datetime(2026, 11, 1)
    con.executemany(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "VALUES (?, ?, ?, 't', ?)",
        [(f"A{i}", f"Account {i}", now, now) for i in range(3)],
    )
    con.executemany(
        "INSERT INTO contacts (contact_id, account_id, name, email, source, loaded_at) "
        "VALUES (?, ?, ?, ?, 't', ?)",
        [(f"C{i}", f"A{i % 3}", f"Person {i}", f"p{i}@x.test", now) for i in range(contacts)],
    )
    import_yaml(con, CATALOG)
    return con


def test_the_order_is_drawn_from_the_recorded_seed(tmp_path: Path) -> None:
    con = store(tmp_path)
    first = create_survey(con, "w1", seed=11)
    again = create_survey(con, "w2", seed=11)
    other = [create_survey(con, f"w{s}", seed=s).outcome_ids for s in range(3, 9)]
    assert first.outcome_ids == again.outcome_ids == draw_order(["O1", "O2", "O3"], 11)
    assert get_survey(con, "w1").seed == 11  # recorded
    assert sorted(first.outcome_ids) == ["O1", "O2", "O3"]
    assert any(o != first.outcome_ids for o in other)  # the seed matters
    with pytest.raises(SurveyError, match="'O9' is not in the catalog"):
        create_survey(con, "w9", outcome_ids=["O1", "O9"])
    with pytest.raises(SurveyError, match="exists already"):
        create_survey(con, "w1")


def test_tokens_are_kept_only_as_hashes(tmp_path: Path) -> None:
    con = store(tmp_path)
    create_survey(con, "w1", seed=1)
    issued = invite(con, "w1")
    assert len(issued) == 6 and len({i.token for i in issued}) == 6
    assert all(len(i.token) >= 32 for i in issued)
    dump = str(con.execute("SELECT * FROM survey_invitations").fetchall())
    assert not any(i.token in dump for i in issued)
    found = find_invitation(con, issued[0].token)
    assert (found.contact_id, found.survey.survey_id) == (issued[0].contact_id, "w1")
    for wrong in ("", issued[0].token[:-1] + "x", "x" * 5000):
        with pytest.raises(SurveyLinkError, match="not valid or has expired"):
            find_invitation(con, wrong)
    with pytest.raises(SurveyLinkError):  # expired
        find_invitation(con, issued[0].token, now=datetime.now() + timedelta(days=31))
    assert invite(con, "w1") == []  # already invited: nothing new
    again = invite(con, "w1", contacts=["C0"], reissue=True)
    with pytest.raises(SurveyLinkError):  # the old link stops working
        find_invitation(con, issued[0].token)
    assert find_invitation(con, again[0].token).contact_id == "C0"
    links = list(
        csv.DictReader(io.StringIO(links_csv(get_survey(con, "w1"), again, "https://cs.example")))
    )
    assert links[0]["link"] == f"https://cs.example/s/{again[0].token}"
    with pytest.raises(NotFoundError, match="no contact 'C99'"):
        invite(con, "w1", contacts=["C99"])


def test_invitations_are_emailed_through_the_outbox(tmp_path: Path) -> None:
    con = store(tmp_path)
    survey = create_survey(con, "w1", title="How renewals go", seed=1)
    issued = invite(con, "w1", account="A1")
    queued = send_invitations(
        con, survey, issued, settings=OutboxSettings(public_url="https://cs.example")
    )
    assert queued == len(issued) == 2
    bodies = con.execute(
        "SELECT contact_id, subject, body FROM outbox_messages ORDER BY 1"
    ).fetchall()
    for (contact, subject, body), one in zip(
        bodies, sorted(issued, key=lambda i: i.contact_id), strict=True
    ):
        assert contact == one.contact_id and "How renewals go" in subject
        assert f"https://cs.example/s/{one.token}" in body
    assert con.execute("SELECT count(message_id) FROM survey_invitations").fetchall() == [(2,)]


def test_the_csv_template_round_trips(tmp_path: Path) -> None:
    con = store(tmp_path)
    survey = create_survey(con, "w1", seed=3)
    invite(con, "w1")
    blank = template_csv(con, "w1", blank=True)
    assert blank.strip().split(",") == columns(survey)
    assert columns(survey)[4:6] == [
        f"importance:{survey.outcome_ids[0]}",
        f"satisfaction:{survey.outcome_ids[0]}",
    ]
    rows = list(csv.DictReader(io.StringIO(template_csv(con, "w1"))))
    assert sorted(r["contact_id"] for r in rows) == [f"C{i}" for i in range(6)]
    for n, row in enumerate(rows):
        for k, oid in enumerate(survey.outcome_ids):
            row[f"importance:{oid}"] = str(1 + (n + k) % 5)
            row[f"satisfaction:{oid}"] = str(1 + (n * 2 + k) % 5) if n != 0 else ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns(survey), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    assert import_csv(con, "w1", out.getvalue(), "filled.csv") == 18
    stored = answers(con, survey="w1")
    assert len(stored) == 15  # the contact without satisfaction ratings is not scored yet
    for row in rows[1:]:
        for oid in survey.outcome_ids:
            got = stored[(stored.respondent == row["contact_id"]) & (stored.outcome_id == oid)]
            assert (int(got.importance.iloc[0]), int(got.satisfaction.iloc[0])) == (
                int(row[f"importance:{oid}"]),
                int(row[f"satisfaction:{oid}"]),
            )
    # Importing the same file again updates the same rows: no duplicate.
    import_csv(con, "w1", out.getvalue(), "filled.csv")
    count = con.execute("SELECT count(*) FROM survey_responses WHERE survey = 'w1'").fetchall()
    assert count == [(18,)]


def test_a_bad_csv_names_file_line_field_value_and_fix(tmp_path: Path) -> None:
    con = store(tmp_path)
    survey = create_survey(con, "w1", seed=3)
    head = ",".join(columns(survey))
    o = survey.outcome_ids[0]
    lines = [
        head,
        "w1,A0,C0,," + ",".join(["7", "3"] + ["", ""] * 2),
        "w1,A0,C99,," + ",".join(["", ""] * 3),
        "w1,A1,C0,," + ",".join(["", ""] * 3),
        "w1,A0,C3,2099-01-01," + ",".join(["", ""] * 3),
    ]
    with pytest.raises(SurveyImportError) as caught:
        import_csv(con, "w1", "\n".join(lines), "filled.csv")
    message = caught.value.message
    assert message.startswith(f"filled.csv line 2, importance:{o} = '7': give a whole number")
    problems = {(p["line"], p["field"]) for p in caught.value.details["problems"]}
    assert problems == {
        (2, f"importance:{o}"),
        (3, "contact_id"),
        (4, "contact_id"),
        (5, "answered_at"),
    }
    assert "nothing was imported" in message
    assert con.execute("SELECT count(*) FROM survey_responses").fetchall() == [(0,)]
    with pytest.raises(
        SurveyImportError,
        match=r"short.csv line 1, importance:O\d = '': the column is missing.*\(and 5 more\)",
    ):
        import_csv(con, "w1", "survey,account_id,contact_id,answered_at\n", "short.csv")


def test_the_form_saves_each_answer_and_submitting_again_updates(tmp_path: Path) -> None:
    con = store(tmp_path)
    create_survey(con, "w1", seed=3)
    [one] = invite(con, "w1", contacts=["C1"])
    found = find_invitation(con, one.token)
    submit(con, found, {"O1": {"importance": "4"}}, final=False)
    submit(con, found, {"O1": {"satisfaction": 2}}, final=False)
    submit(
        con,
        found,
        {"O1": {"importance": 5}, "O2": {"importance": 3, "satisfaction": 3}},
        final=True,
    )
    rows = con.execute(
        "SELECT outcome_id, importance, satisfaction FROM survey_responses ORDER BY 1"
    ).fetchall()
    assert rows == [("O1", 5, 2), ("O2", 3, 3)]
    assert find_invitation(con, one.token).submitted_at is not None
    with pytest.raises(SurveyError, match="give 1 to 5"):
        submit(con, found, {"O1": {"importance": "6"}}, final=False)
    with pytest.raises(SurveyError, match="not asked"):
        submit(con, found, {"O7": {"importance": "3"}}, final=False)


def test_catalog_editing_answers_the_linters_verdicts(tmp_path: Path) -> None:
    con = store(tmp_path)
    save_job(con, "J2", "Report to the board", parent="J1")
    good = save_outcome(con, "O10", "J2", None, "Minimize the time it takes to prepare a report")
    bad = save_outcome(con, "O11", "J2", None, "Use the dashboard and export to PDF faster")
    assert good["warnings"] == [] and good["parts"]["direction"] == "Minimize"
    assert {w["rule"] for w in bad["warnings"]} >= {"no_direction", "names_solution"}
    job = next(j for j in read_catalog(con) if j["id"] == "J2")
    assert job["parent"] == "J1" and [o["id"] for o in job["outcomes"]] == ["O10", "O11"]
    with pytest.raises(CatalogEditError, match="still has 1 related jobs"):
        delete_job(con, "J1")
    with pytest.raises(CatalogEditError, match="loop"):
        save_job(con, "J1", "Renew a contract", parent="J2")
    with pytest.raises(CatalogEditError, match="still has 3 outcomes"):
        delete_step(con, "J1-S1")
    with pytest.raises(CatalogEditError, match="belongs to job 'J1'"):
        save_outcome(con, "O12", "J2", "J1-S1", "Minimize the time it takes to sign")


def test_the_cli_creates_invites_writes_the_template_and_imports(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app as cli

    store(tmp_path).close()
    db = ["--db", str(tmp_path / "s.duckdb")]
    run = CliRunner().invoke
    made = run(cli, ["jobs", "survey", "create", "w1", "--seed", "5", *db])
    assert made.exit_code == 0, made.output
    assert ", ".join(draw_order(["O1", "O2", "O3"], 5)) in made.output
    links = tmp_path / "links.csv"
    invited = run(cli, ["jobs", "survey", "invite", "w1", "--account", "A0", "--send",
                        "--out", str(links), *db])  # fmt: skip
    assert invited.exit_code == 0, invited.output
    assert "2 invitation emails queued" in invited.output
    rows = list(csv.DictReader(io.StringIO(links.read_text())))
    assert [r["contact_id"] for r in rows] == ["C0", "C3"]
    assert all(r["link"].startswith("http://127.0.0.1:8000/s/") for r in rows)
    filled = tmp_path / "filled.csv"
    assert run(cli, ["jobs", "survey", "template", "w1", "--out", str(filled), *db]).exit_code == 0
    text = filled.read_text().splitlines()
    assert len(text) == 3  # the header and the two invited contacts
    c0, c3 = text[1].split(","), text[2].split(",")
    c0[4:6] = ["4", "2"]  # the first outcome of the order
    c3[-1] = "9"
    filled.write_text("\n".join([text[0], ",".join(c0), ",".join(c3)]))
    refused = run(cli, ["jobs", "survey", "import", "w1", str(filled), *db])
    assert refused.exit_code == 2
    assert f"{filled} line 3, satisfaction:" in refused.output and "= '9'" in refused.output
    c3[-1] = "3"
    filled.write_text("\n".join([text[0], ",".join(c0), ",".join(c3)]))
    done = run(cli, ["jobs", "survey", "import", "w1", str(filled), *db])
    assert done.exit_code == 0 and "imported 2 answers" in done.output
    listed = run(cli, ["jobs", "survey", "list", *db])
    assert "w1: 3 outcomes, seed 5, 2 invited, 0 submitted" in listed.output
