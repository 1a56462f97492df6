"""Foresight: churn and expansion propensity, calibrated, backtested, with reasons.

The training path (:mod:`.dataset`, :mod:`.backtest`) builds feature rows at monthly
observation days from data before each day only, labels them from the daily snapshot's MRR,
and judges a LightGBM + regularised logistic blend (:mod:`.model`) by time-based backtests
with calibrated probabilities (:mod:`.calibration`). :mod:`.static` takes a static feature
table with a label through the same model.
"""
