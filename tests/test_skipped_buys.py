"""A run in which every buy was skipped says so (docs/execution.md, "Skipped orders"):
a ``fastbt.RunWarning`` from ``run`` with the count and the reason, one line from the CLI."""

import warnings

import pytest

import fastbt
from fastbt.cli import main
from tests.helpers import make_bars, scripted

OPEN = [10.0, 11.0, 12.0, 13.0, 14.0]
CLOSE = [10.5, 11.5, 12.5, 13.5, 14.5]


def backtest(entries, **options):
    bars = make_bars(OPEN, CLOSE)
    return fastbt.run(bars, scripted(entries, [], n=5), **options)


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        (
            {"size": 1000, "size_type": "units"},  # 1000 x 11 and 1000 x 13 > 10,000
            "1000 units plus fees cost more than the cash (10,000.00); lower size or raise cash",
        ),
        (
            {"fixed_fee": 6000.0, "size": 0.5},  # qty = (5,000 - 6,000) / price < 0
            "the fixed fee (6,000.00) is not below the cash to spend (size x cash = 5,000.00); "
            "lower fixed_fee or raise cash or size",
        ),
        (
            {"fractional": False, "cash": 10.0},  # floor(10 / 11) = 0 units
            "one whole unit plus fees cost more than the cash to spend (10.00); raise cash or "
            "size, or allow fractional units",
        ),
    ],
    ids=["units", "fixed-fee", "whole-units"],
)
def test_every_buy_skipped_is_a_run_warning_with_the_reason(options, reason):
    with pytest.warns(fastbt.RunWarning) as caught:
        result = backtest([0, 2], **options)
    assert result.metrics["n_skipped"] == 2 and len(result.trades) == 0
    assert [str(w.message) for w in caught] == [
        f"every one of the 2 buys was skipped, so no trade was made: {reason}"
    ]


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_a_single_skipped_buy_is_named_as_such(engine):
    with pytest.warns(fastbt.RunWarning, match="^the only buy was skipped, so no trade"):
        backtest([0], size=1000, size_type="units", engine=engine)


@pytest.mark.parametrize("engine", ["fast", "reference"])
def test_skipped_short_sales_are_called_entries(engine):
    # A short of 1000 units needs 1000 x 11 = 11,000 of collateral: more than the cash.
    with pytest.warns(fastbt.RunWarning, match="^every one of the 2 entries was skipped"):
        backtest([0, 2], size=1000, size_type="units", direction="short", engine=engine)


def test_no_warning_when_a_buy_filled_or_none_was_signalled():
    # 900 units at open[1] = 11 cost 9,900: the buy fills. No entry signal: no buy at all.
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastbt.RunWarning)
        assert len(backtest([0], size=900, size_type="units").trades) == 1
        assert backtest([], size=1000, size_type="units").metrics["n_skipped"] == 0


def test_some_buys_skipped_but_one_filled_is_not_warned():
    # 800 units bought at open[1] = 11 (8,800), sold at open[3] = 9: cash 1,200 + 7,200
    # = 8,400. The next 800 units at open[4] = 14 cost 11,200: skipped, but a trade was made.
    bars = make_bars([10.0, 11.0, 12.0, 9.0, 14.0], [10.5, 11.5, 12.5, 9.5, 14.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error", fastbt.RunWarning)
        result = fastbt.run(bars, scripted([0, 3], [2], n=5), size=800, size_type="units")
    assert result.metrics["n_skipped"] == 1 and len(result.trades) == 1


def test_verify_warns_once():
    with pytest.warns(fastbt.RunWarning) as caught:
        fastbt.verify("GOOG", "ma_cross", fast=5, slow=20, size=100_000, size_type="units")
    assert len(caught) == 1


def test_cli_prints_the_warning_as_one_line(capsys):
    args = ["-p", "fast=5", "-p", "slow=20", "--size", "1e5", "--size-type", "units"]
    status = main(["run", "GOOG", *args])
    err = capsys.readouterr().err
    assert status == 0
    assert err.splitlines() == [
        "fastbt: warning: every one of the 57 buys was skipped, so no trade was made: "
        "100000 units plus fees cost more than the cash (10,000.00); lower size or raise cash"
    ]
