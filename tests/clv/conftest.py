"""CDNOW sample (Fader, Hardie & Lee 2005): the 2,357 customers of the papers.

``data/CDNOW_sample.txt`` is a copy of ../shared/data/cdnow/CDNOW_sample.txt (the public
CDNOW data set as distributed by Bruce Hardie), kept here so the tests run anywhere.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from outsidein.clv import RFM, compress
from outsidein.clv.datasets import read_cdnow
from outsidein.clv.rfm import summary

SAMPLE = Path(__file__).parent / "data" / "CDNOW_sample.txt"


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """RFM of the sample: calibration to 1997-09-30, holdout to 1998-06-30, in weeks."""
    return summary(read_cdnow(SAMPLE), dt.date(1997, 9, 30), dt.date(1998, 6, 30))


@pytest.fixture(scope="session")
def cdnow_rows(cdnow: pd.DataFrame) -> RFM:
    return compress(cdnow["x"], cdnow["t_x"], cdnow["T"])
