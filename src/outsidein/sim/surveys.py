"""Voice of the customer: the jobs catalog, relationship NPS, a pulse NPS over the last four
weeks and the outcome survey.

NPS follows health (the pulse too: its detractors are the low-health accounts of the last
month in the ground truth, which My day's "new detractors" lists). The outcome survey asks
contacts to rate every desired outcome for importance and satisfaction, in a few waves;
answers come from the account's latent needs segment, so the segments can be recovered from
the data; satisfaction also rises with health, and after a planted release (ground truth).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from outsidein.sim.calendar import US_PER_HOUR, to_date
from outsidein.sim.catalog import JOBS, NPS_COMMENTS, flat_outcomes
from outsidein.sim.journey import work_time
from outsidein.sim.needs import planted_release, survey_waves
from outsidein.sim.people import ADMIN, CHAMPION, SPONSOR, Directory
from outsidein.sim.streams import stream
from outsidein.sim.world import World
from outsidein.sim.writer import TableSink

NPS_RESPONSE = {CHAMPION: 0.45, SPONSOR: 0.3, ADMIN: 0.3}  # users answer at 0.15
NPS_EVERY = 6  # months between relationship NPS waves
NPS_BASE, NPS_SLOPE = 3.0, 8.5  # an answer is NPS_BASE + NPS_SLOPE x latent health, plus noise
PULSE_DAYS, PULSE_RESPONSE = 28, 0.03  # the pulse: last four weeks, 3% of contacts answer
OUTCOME_RESPONSE = 0.5  # share of customers whose champion answers the outcome survey
ANSWER_GAP_US = 20_000_000  # 20 s between one respondent's consecutive answers
RESPONDENTS_PER_BATCH = 20_000


def catalog_tables() -> dict[str, pa.Table]:
    """jobs, job_steps and outcomes as tables (ids stable across seeds)."""
    jobs: dict[str, list[object]] = {"job_id": [], "name": [], "description": []}
    steps: dict[str, list[object]] = {"step_id": [], "job_id": [], "name": [], "position": []}
    outs: dict[str, list[object]] = {"outcome_id": [], "job_id": [], "step_id": [], "statement": []}
    for j, (name, description, job_steps) in enumerate(JOBS):
        job_id = f"JOB-{j + 1}"
        jobs["job_id"].append(job_id)
        jobs["name"].append(name)
        jobs["description"].append(description)
        for s, (step, _) in enumerate(job_steps):
            steps["step_id"].append(f"STEP-{j + 1}-{s + 1}")
            steps["job_id"].append(job_id)
            steps["name"].append(step)
            steps["position"].append(s + 1)
    for o, (j, s, statement) in enumerate(flat_outcomes()):
        outs["outcome_id"].append(outcome_id(o))
        outs["job_id"].append(f"JOB-{j + 1}")
        outs["step_id"].append(f"STEP-{j + 1}-{s + 1}")
        outs["statement"].append(statement)
    return {
        "jobs": pa.table(jobs),
        "job_steps": pa.table({**steps, "position": pa.array(steps["position"], pa.int32())}),
        "outcomes": pa.table(outs),
    }


def outcome_id(index: int) -> str:
    return f"OUT-{index + 1:02d}"


def _comments(rng: np.random.Generator, score: np.ndarray) -> pa.Array:
    """A comment for some answers, in the words of a detractor, passive or promoter."""
    band = np.where(score <= 6, 0, np.where(score <= 8, 1, 2))
    lists = [NPS_COMMENTS["detractor"], NPS_COMMENTS["passive"], NPS_COMMENTS["promoter"]]
    offsets = np.cumsum([0] + [len(x) for x in lists])[:-1]
    sizes = np.array([len(x) for x in lists])
    pick = offsets[band] + rng.integers(0, 1 << 20, len(score)) % sizes[band]
    flat = pa.array([c for x in lists for c in x])
    idx = pa.array(pick, mask=rng.random(len(score)) >= 0.35)
    return flat.take(idx)


def nps(seed: int, world: World, people: Directory, sink: TableSink) -> None:
    """Relationship NPS every six months, sent to every current contact of customers."""
    co = world.company
    window = world.window
    for m in range(window.months - 1 - 2, -1, -NPS_EVERY):
        rng = stream(seed, "nps", m)
        ms, me = int(window.bounds[m]), int(window.bounds[m + 1])
        c = np.flatnonzero(world.seats[people.account, m] > 0)
        acc = people.account[c]
        at = work_time(rng, world, acc, rng.integers(ms, me, len(c)))
        here = (people.created_us[c] < at) & ((people.left_us[c] < 0) | (people.left_us[c] > at))
        rate = np.array([NPS_RESPONSE.get(r, 0.15) for r in range(4)])[people.role[c]]
        answer = here & (rng.random(len(c)) < rate)
        c, acc, at = c[answer], acc[answer], at[answer]
        h = np.nan_to_num(world.health[acc, m], nan=0.6)
        score = np.clip(np.round(NPS_BASE + NPS_SLOPE * h + rng.normal(0, 1.3, len(c))), 0, 10)
        label = f"Relationship NPS {to_date(ms):%Y-%m}"
        sink.write(
            {
                "account_id": co.account_ids.take(pa.array(acc)),
                "contact_id": people.contact_ids.take(pa.array(c)),
                "survey": pa.repeat(pa.scalar(label), len(c)),
                "answered_at": at,
                "kind": pa.repeat(pa.scalar("nps"), len(c)),
                "score": score,
                "comment": _comments(rng, score),
            }
        )


def _nps_score(rng: np.random.Generator, h: np.ndarray) -> np.ndarray:
    """A 0-10 answer from latent health ``h`` (nan: 0.6)."""
    h = np.nan_to_num(h, nan=0.6)
    return np.asarray(np.clip(np.round(3.0 + 8.5 * h + rng.normal(0, 1.3, len(h))), 0, 10))


def pulse_nps(seed: int, world: World, people: Directory, sink: TableSink) -> None:
    """A pulse NPS in the last :data:`PULSE_DAYS` days before ``as_of``: a few current
    contacts of each customer answer, scored on the account's latent health that month."""
    rng = stream(seed, "nps-pulse")
    window = world.window
    m = window.months - 1
    c = np.flatnonzero(world.seats[people.account, m] > 0)
    acc = people.account[c]
    start = max(window.end_day - PULSE_DAYS, int(window.bounds[0]))
    at = work_time(rng, world, acc, rng.integers(start, window.end_day, len(c)))
    here = (people.created_us[c] < at) & ((people.left_us[c] < 0) | (people.left_us[c] > at))
    answer = here & (rng.random(len(c)) < PULSE_RESPONSE) & (at < window.end_us)
    c, acc, at = c[answer], acc[answer], at[answer]
    score = _nps_score(rng, world.health[acc, m])
    sink.write(
        {
            "account_id": world.company.account_ids.take(pa.array(acc)),
            "contact_id": people.contact_ids.take(pa.array(c)),
            "survey": pa.repeat(pa.scalar("Pulse NPS"), len(c)),
            "answered_at": at,
            "kind": pa.repeat(pa.scalar("nps"), len(c)),
            "score": score,
            "comment": _comments(rng, score),
        }
    )


def outcome_survey(seed: int, world: World, people: Directory, sink: TableSink) -> list[int]:
    """The outcome survey waves (:func:`~outsidein.sim.needs.survey_waves`); returns their
    month indexes. Satisfaction with the outcomes a planted release serves rises in the
    waves after it."""
    release = planted_release(seed, world.needs, world.window.months)
    waves = survey_waves(world.window.months)
    for m in waves:
        lift = np.zeros(len(flat_outcomes()))
        if 0 <= release.month < m:
            lift[list(release.outcomes)] = release.lift
        _outcome_wave(seed, world, people, sink, m, lift)
    return waves


def _outcome_wave(
    seed: int, world: World, people: Directory, sink: TableSink, m: int, lift: np.ndarray
) -> None:
    """One wave in month ``m``: half the customers' champions answer, some admins too."""
    rng = stream(seed, "outcome-survey", m)
    co = world.company
    window = world.window
    needs = world.needs
    ms, me = int(window.bounds[m]), int(window.bounds[m + 1])
    customers = np.flatnonzero((world.seats[:, m] > 0) & (rng.random(co.n) < OUTCOME_RESPONSE))
    at = work_time(rng, world, customers, rng.integers(ms, me, len(customers)))
    respondent = people.champion_at(customers, at)
    admin_too = rng.random(len(customers)) < 0.5
    respondent = np.concatenate([respondent, people.admin[customers[admin_too]]])
    acc = np.concatenate([customers, customers[admin_too]])
    later = rng.integers(1, 72, int(admin_too.sum())) * US_PER_HOUR
    at = np.concatenate([at, at[admin_too] + later])
    n_out = len(flat_outcomes())
    ok = at + n_out * ANSWER_GAP_US < window.end_us
    respondent, acc, at = respondent[ok], acc[ok], at[ok]

    ids = pa.array([outcome_id(o) for o in range(n_out)])
    label = pa.scalar(f"Outcome survey {to_date(ms):%Y-%m}")
    h_resp = np.nan_to_num(world.health[acc, m], nan=0.6)
    for lo in range(0, len(acc), RESPONDENTS_PER_BATCH):
        sl = slice(lo, lo + RESPONDENTS_PER_BATCH)
        a, who, when, h = acc[sl], respondent[sl], at[sl], h_resp[sl]
        rows = np.repeat(np.arange(len(a)), n_out)
        out = np.tile(np.arange(n_out), len(a))
        seg = co.needs_segment[a][rows]
        noise = rng.normal(0, 0.6, (2, len(rows)))
        importance = np.clip(np.round(needs.importance[seg, out] + noise[0]), 1, 5)
        satisfaction = needs.satisfaction[seg, out] + lift[out] + 1.2 * (h[rows] - 0.6) + noise[1]
        satisfaction = np.clip(np.round(satisfaction), 1, 5)
        sink.write(
            {
                "account_id": co.account_ids.take(pa.array(a[rows])),
                "contact_id": people.contact_ids.take(pa.array(who[rows])),
                "survey": pa.repeat(label, len(rows)),
                "answered_at": when[rows] + out * ANSWER_GAP_US,
                "kind": pa.repeat(pa.scalar("outcome"), len(rows)),
                "outcome_id": ids.take(pa.array(out)),
                "importance": importance.astype(np.int64),
                "satisfaction": satisfaction.astype(np.int64),
            }
        )
