"""Survey answers sent one by one or in batches (``POST /api/v1/survey-responses``).

They take the file loader's path, so that an answer posted and the same answer in a file
become the same row, checked by the same rules (one definition: :mod:`outsidein.store.tables`
and :func:`outsidein.ingest.load_file`): the answers are written as a JSON Lines file and
loaded with ``strict`` (one bad answer refuses the batch, naming each problem by the answer's
position, field and value; nothing is written). Posting the same batch again changes nothing
(the loader knows the file); an answer whose ``response_id`` is stored already replaces it.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from outsidein.errors import InvalidRequestError, LoadError
from outsidein.ingest.loader import load_file
from outsidein.ingest.result import LoadResult
from outsidein.precedence import PrecedenceConfig
from outsidein.settings.store import StoreConfig
from outsidein.store.tables import TABLES

__all__ = ["ANSWER_KINDS", "MAX_ANSWERS", "AnswersRefusedError", "load_answers"]

ANSWER_KINDS = ("nps", "csat", "ces")  # outcome surveys come in files, with their catalog
MAX_ANSWERS = 1_000
KIND = "survey_responses"
FIELDS = tuple(c for c in TABLES[KIND].column_names if c not in ("outcome_id", "importance",
                                                                  "satisfaction"))  # fmt: skip


class AnswersRefusedError(InvalidRequestError):
    """Some answers break the rules; ``details.problems`` names each (nothing was stored)."""

    code = "invalid_survey_responses"


def _problem(index: int, field: str | None, value: Any, reason: str) -> dict[str, Any]:
    return {"index": index, "field": field, "value": value, "reason": reason}


def _refuse(problems: list[dict[str, Any]], total: int) -> AnswersRefusedError:
    first = problems[0]
    where = f"answer {first['index']}" + (f" {first['field']}" if first["field"] else "")
    value = f" = {first['value']!r}" if first["value"] is not None else ""
    return AnswersRefusedError(
        f"{len(problems)} problem(s) in {total} answer(s), nothing was stored; first: "
        f"{where}{value}: {first['reason']}",
        problems=problems,
    )


def check_shape(answers: Sequence[Mapping[str, Any]]) -> None:
    """What a file could not say: too many answers, unknown fields, kinds the API does not
    take. Values are the loader's to check."""
    if not answers:
        raise InvalidRequestError("send at least one answer", field="responses")
    if len(answers) > MAX_ANSWERS:
        raise InvalidRequestError(
            f"{len(answers):,} answers is over {MAX_ANSWERS:,} in one request; send batches",
            field="responses",
        )
    problems = []
    for i, answer in enumerate(answers):
        for name in answer:
            if name not in FIELDS:
                problems.append(_problem(i, name, None, f"not a field; use {', '.join(FIELDS)}"))
        kind = answer.get("kind")
        if isinstance(kind, str) and kind.strip().lower() not in ANSWER_KINDS:
            reason = f"the API takes {', '.join(ANSWER_KINDS)} answers (outcome surveys: files)"
            problems.append(_problem(i, "kind", kind, reason))
    if problems:
        raise _refuse(problems, len(answers))


def load_answers(
    con: duckdb.DuckDBPyConnection,
    answers: Sequence[Mapping[str, Any]],
    *,
    name: str = "api:survey-responses",
    config: StoreConfig | None = None,
    precedence: PrecedenceConfig | None = None,
    folder: Path | None = None,
    prefix: str = ".outsidein-answers-",
) -> LoadResult:
    """Store NPS, CSAT and CES answers as :func:`load_file` stores a file of them.

    ``folder`` holds the short-lived JSON Lines file (default: the system's temp folder);
    :class:`AnswersRefusedError` when any answer breaks a rule."""
    check_shape(answers)
    work = Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    try:
        path = work / "answers.jsonl"
        with open(path, "w", encoding="utf-8") as handle:
            for answer in answers:
                row = {f: answer.get(f) for f in FIELDS}
                handle.write(json.dumps(row, default=str, ensure_ascii=False) + "\n")
        try:
            return load_file(
                con, KIND, path, strict=True, config=config, precedence=precedence, name=name
            )
        except LoadError as exc:
            rejects = exc.details.get("rejects")
            if not rejects:
                raise
            problems = [
                _problem((r["line"] or 1) - 1, r["column"], r["value"], r["reason"])
                for r in rejects
            ]
            raise _refuse(problems, len(answers)) from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
