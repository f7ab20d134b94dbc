"""The portfolio report and notebook summary show what the result holds."""

import re

import fastbt
from fastbt.report.portfolio import equal_weight_hold, render_portfolio_html

DATA = fastbt.synthetic_universe(3, 200, seed=8)


def _result():
    return fastbt.run_portfolio(DATA, "momentum_rotation", lookback=10, top_k=1, rebalance=20)


def test_equal_weight_hold_is_the_mean_growth_times_cash():
    result = _result()
    hold = equal_weight_hold(result)
    last = sum(f["close"].iloc[-1] / f["close"].iloc[0] for f in DATA.values()) / 3
    assert abs(hold.iloc[-1] - 10_000.0 * last) < 1e-6
    assert abs(hold.iloc[-1] / 10_000.0 - 1 - result.metrics["buy_and_hold_return"]) < 1e-9


def test_report_lists_every_trade_with_its_symbol_and_the_contributions():
    result = _result()
    page = render_portfolio_html(result)
    assert page.count("data:image/png;base64,") == 4  # equity, drawdown, weights, contribution
    trades_table = page[page.index('id="trades"') :]
    rows = re.findall(r"<tr class=\"(?:win|loss)\">.*?</tr>", trades_table, flags=re.S)
    assert len(rows) == len(result.trades)
    symbols = [re.findall(r"<td>(SYN\d+)</td>", row)[0] for row in rows]
    assert symbols == result.trades["symbol"].tolist()
    for symbol, value in result.contribution.items():
        assert f'<td>{symbol}</td><td class="num">{100 * value:.2f}%</td>' in page


def test_notebook_summary_names_the_strategy_and_shows_the_weights():
    html = _result()._repr_html_()
    assert "momentum_rotation(lookback=10, top_k=1, rebalance=20) on 3 symbols" in html
    assert "data:image/png;base64," in html
