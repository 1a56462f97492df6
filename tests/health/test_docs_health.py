"""docs/health.md stays true: its example validates and scores, its lists match the code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pyarrow as pa
import pytest

from outsidein.config import parse_config
from outsidein.expr import FUNCTIONS, Catalogue, ExpressionError, Type, compile_expression
from outsidein.health.engine import score
from outsidein.settings.health import INPUT_FIELDS, WINDOWED

DOC = (Path(__file__).parents[2] / "docs" / "health.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    fences = re.findall(r"^```(\w*)\n(.*?)^```", DOC, flags=re.S | re.M)
    return [body for lang, body in fences if lang == language]


def test_the_full_example_validates_and_scores() -> None:
    (example,) = blocks("toml")
    config = parse_config(tomllib.loads(example), "docs/health.md")
    health = config.health
    assert list(health.scorecards) == ["onboarding", "default"]
    row = {name: [None] for name in INPUT_FIELDS}
    row.update(
        account_id=["A"],
        lifecycle_status=["onboarding"],
        tier=["smb"],
        seat_utilization=[0.3],
        time_to_first_value_days=[10],
    )
    table = pa.table({**row, "custom.plan_tier": pa.array(["Pro"])})
    table = table.cast(
        pa.schema(
            [
                pa.field(
                    f.name, pa.float64() if INPUT_FIELDS.get(f.name) is Type.NUMBER else f.type
                )
                if f.type == pa.null()
                else f
                for f in table.schema
            ]
        )
    )
    scores = score(table, health)
    assert scores.accounts["scorecard"].to_pylist() == ["onboarding"]
    # first value in 10 days: 1 - 7/27 of the way; seats 0.3 on 0.1..0.5: 50.
    expected = ((1 - 7 / 27) * 100 + 50) / 2
    assert scores.accounts["score"].to_pylist()[0] == pytest.approx(expected)
    assert scores.accounts["band"].to_pylist() == ["on track"]


def test_every_input_and_function_is_documented() -> None:
    for name in FUNCTIONS:
        assert f"`{name}(" in DOC, name
    for name in INPUT_FIELDS:
        base = name.rsplit("_", 1)[0]
        assert f"`{name}`" in DOC or (base in WINDOWED and f"`{base}`" in DOC), name


def test_the_error_shown_is_the_real_one() -> None:
    shown = next(b for b in blocks("") if b.startswith("column "))
    catalogue = Catalogue({"active_users_28": Type.NUMBER})
    with pytest.raises(ExpressionError) as caught:
        compile_expression("active_users_28 >", catalogue)
    assert caught.value.message == shown.rstrip("\n")
