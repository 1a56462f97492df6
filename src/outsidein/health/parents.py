"""Parent accounts roll up their children: a score for the whole family under each parent.

An account's ``rollup_score`` averages its own score and those of all its descendants
(children, their children, ...), weighted by ARR (12 x ``mrr``) or one each by count; accounts
without a score are left out. ``descendants`` counts the descendants that have a score. An
account without children keeps its own score. Cycles in the parent links are cut at depth 32.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MAX_DEPTH = 32


def roll_up_parents(accounts: pa.Table, inputs: pa.Table, by: str) -> pa.Table:
    """``accounts`` (from the engine) with ``rollup_score`` and ``descendants`` added."""
    ids = accounts.column("account_id").combine_chunks()
    parents = inputs.column("parent_account_id").combine_chunks().cast(pa.string())
    parent_index = pc.index_in(parents, value_set=ids).fill_null(-1).to_numpy().astype(np.int64)
    n = len(ids)
    score = accounts.column("score").to_numpy(zero_copy_only=False).astype(np.float64)
    has = ~np.isnan(score)
    if by == "arr" and "mrr" in inputs.schema.names:
        mrr = pc.cast(inputs.column("mrr"), pa.float64()).fill_null(0.0).to_numpy()
        weight = np.clip(np.asarray(mrr, dtype=np.float64), 0.0, None) * 12.0
    else:
        weight = np.ones(n)
    weight = np.where(has, weight, 0.0)
    value = weight * np.nan_to_num(score)
    sum_w, sum_v = weight.copy(), value.copy()
    count = np.zeros(n, dtype=np.int64)
    me = np.arange(n)
    ancestor = parent_index.copy()
    for _ in range(MAX_DEPTH):
        live = (ancestor >= 0) & (ancestor != me)
        if not live.any():
            break
        up = ancestor[live]
        np.add.at(sum_w, up, weight[live])
        np.add.at(sum_v, up, value[live])
        np.add.at(count, up, has[live].astype(np.int64))
        ancestor = np.where(live, parent_index[np.where(live, ancestor, 0)], -1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rolled = np.where(sum_w > 0, sum_v / sum_w, score)
    return accounts.append_column(
        "rollup_score", pa.array(rolled, mask=np.isnan(rolled))
    ).append_column("descendants", pa.array(count))


__all__ = ["roll_up_parents"]
