"""HTML and PDF reports: what they show, that they stand alone, escaping, and the CLI."""

import base64
import os
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest

import fastbt
from fastbt import report
from fastbt.formatting import format_metric
from fastbt.report.html import TRADES_SHOWN
from tests.helpers import make_bars, scripted
from tests.test_cli import FASTBT, assert_one_line_error, cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class Page(HTMLParser):
    """Tables (by id) as lists of rows of cell texts, images, and every tag seen."""

    def __init__(self, text: str):
        super().__init__()
        self.tables, self.images, self.tags, self.text = {}, [], set(), []
        self._table = self._row = self._cell = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "img":
            self.images.append(attrs)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def body_rows(table):
    return table[1:]


@pytest.fixture(scope="module")
def goog():
    return fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)


@pytest.fixture(scope="module")
def goog_page(goog):
    return report.render_html(goog)


def assert_self_contained(text: str, page: Page) -> None:
    assert not {"script", "link", "iframe", "object"} & page.tags
    assert "http://" not in text and "https://" not in text and "url(" not in text
    for image in page.images:
        prefix = "data:image/png;base64,"
        assert image["src"].startswith(prefix)
        assert base64.b64decode(image["src"][len(prefix) :]).startswith(PNG_MAGIC)


def test_report_shows_exactly_the_formatted_metrics(goog, goog_page):
    page = Page(goog_page)
    shown = {row[0]: row[1] for row in body_rows(page.tables["metrics"])}
    assert shown == {name: format_metric(name, v) for name, v in goog.metrics.items()}
    assert shown["total_return"].endswith("%") and shown["n_trades"] == str(
        goog.metrics["n_trades"]
    )
    duration = next(row[2] for row in page.tables["metrics"] if row[0] == "max_drawdown_bars")
    assert "about" in duration and "years" in duration


def test_report_shows_parameters_options_and_charts(goog, goog_page):
    page = Page(goog_page)
    assert body_rows(page.tables["params"]) == [["fast", "10"], ["slow", "30"]]
    options = dict(body_rows(page.tables["options"]))
    assert options["commission"] == "0.001" and options["fill"] == "next_open"
    assert options["periods_per_year"] == "inferred from bar spacing"
    assert len(page.images) == 5
    assert_self_contained(goog_page, page)
    assert "ma_cross(fast=10, slow=30) on GOOG" in "".join(page.text)


def test_report_lists_every_trade_when_there_are_few(goog, goog_page):
    rows = body_rows(Page(goog_page).tables["trades"])
    assert len(rows) == len(goog.trades) <= 2 * TRADES_SHOWN
    assert [int(r[0]) for r in rows] == list(range(1, len(goog.trades) + 1))
    first = goog.trades.iloc[0]
    assert rows[0][7] == f"{first['pnl']:,.2f}"
    assert rows[-1][-1] == "open"


def test_report_lists_first_and_last_trades_when_there_are_many():
    result = fastbt.run("EURUSD", "rsi", window=3, oversold=40, overbought=60)
    n = len(result.trades)
    assert n > 2 * TRADES_SHOWN
    rows = body_rows(Page(report.render_html(result)).tables["trades"])
    numbers = [int(r[0]) for r in rows if len(r) > 1]
    expected = list(range(1, TRADES_SHOWN + 1)) + list(range(n - TRADES_SHOWN + 1, n + 1))
    assert numbers == expected
    (gap,) = [r for r in rows if len(r) == 1]
    assert f"{n - 2 * TRADES_SHOWN:,} trades not shown" in gap[0]


def hostile_strategy():
    strategy = scripted([2], [8], n=30)
    return fastbt.Strategy(
        name="<script>alert('strategy')</script>",
        description=strategy.description,
        params=(fastbt.Param("<b>x</b>", int, 1),),
        signals=lambda *arrays: strategy.signals(*arrays[:5]),
        reference=strategy.reference,  # the fast engine is enough here
    )


def test_hostile_names_are_escaped():
    bars = make_bars(np.linspace(10, 12, 30), np.linspace(10.1, 12.1, 30))
    bars.attrs["symbol"] = '<img src=x onerror="alert(1)">'
    result = fastbt.run(bars, hostile_strategy())
    text = report.render_html(result)
    assert "<script>" not in text and "<img src=x" not in text and "<b>x</b>" not in text
    assert "&lt;script&gt;" in text and "&lt;b&gt;x&lt;/b&gt;" in text
    page = Page(text)
    assert page.tables["params"][1] == ["<b>x</b>", "1"]  # shown as text, not markup
    assert_self_contained(text, page)


@pytest.fixture(scope="module")
def table():
    grid = {"fast": range(2, 30), "slow": range(5, 60, 4)}
    return fastbt.sweep(["GOOG", "EURUSD"], "ma_cross", grid, progress=False, commission=0.001)


def test_sweep_report_shows_summary_grid_top_rows_and_charts(table):
    text = report.render_sweep_html(table, "sortino", top_n=7)
    page = Page(text)
    info = table.attrs["sweep"]
    summary = dict(page.tables["summary"])
    assert summary["parameter sets run"] == f"{info['n_sets']:,}"
    assert summary["sets rejected by the strategy's rules"] == f"{info['n_invalid']:,}"
    assert summary["backtests per second"] == f"{info['sets_per_second']:,.0f}"
    assert body_rows(page.tables["grid"]) == [["fast", "28", "2", "29"], ["slow", "14", "5", "57"]]
    leaders = fastbt.top(table, 7, "sortino")
    rows = body_rows(page.tables["top"])
    assert [(r[0], int(r[1]), int(r[2])) for r in rows] == list(
        zip(leaders["symbol"], leaders["fast"], leaders["slow"], strict=True)
    )
    assert [r[3] for r in rows] == [format_metric("sortino", v) for v in leaders["sortino"]]
    assert [r[0] for r in body_rows(page.tables["best"])] == ["GOOG", "EURUSD"]
    assert dict(page.tables["options"])["commission"] == "0.001"
    assert len(page.images) == 2 + 2  # a heatmap per symbol, two distributions
    assert_self_contained(text, page)


def test_sweep_report_of_a_resumed_sweep_counts_only_what_it_computed(tmp_path):
    grid = {"fast": range(2, 12), "slow": range(10, 30, 5)}
    first = fastbt.sweep("GOOG", "ma_cross", grid, out=tmp_path, chunk_size=10, progress=False)
    (tmp_path / "part-000001.parquet").unlink()
    partly = fastbt.sweep("GOOG", "ma_cross", grid, out=tmp_path, resume=True, progress=False)
    summary = dict(Page(report.render_sweep_html(partly)).tables["summary"])
    assert summary["backtests computed by this run"] == "10"
    assert summary["backtests read back (resumed)"] == f"{len(first) - 10:,}"
    rate = partly.attrs["sweep"]["sets_per_second"]
    assert summary["backtests per second"] == f"{rate:,.0f}"
    assert rate == pytest.approx(10 / partly.attrs["sweep"]["seconds"])
    fully = fastbt.sweep("GOOG", "ma_cross", grid, out=tmp_path, resume=True, progress=False)
    summary = dict(Page(report.render_sweep_html(fully)).tables["summary"])
    assert summary["backtests computed by this run"] == "0"
    assert summary["backtests per second"] == "none computed"
    assert summary["bar evaluations per second"] == "none computed"


def test_sweep_report_ranks_only_sets_with_enough_closed_trades(tmp_path):
    flat = fastbt.load("GOOG").copy()
    flat[["open", "high", "low", "close"]] = 100.0  # nothing ever trades
    grid = {"window": [5, 14, 30], "oversold": [5.0, 10.0, 20.0, 30.0]}
    table = fastbt.sweep({"GOOG": fastbt.load("GOOG"), "FLAT": flat}, "rsi", grid, progress=False)
    ranked = table[table.n_trades >= 1]
    assert len(ranked) == 9  # GOOG's window 30, oversold <= 20 and all of FLAT never trade
    page = Page(report.render_sweep_html(table, "max_drawdown", top_n=30))
    summary = dict(page.tables["summary"])
    assert summary["closed trades a backtest needs to be ranked"] == "1"
    assert summary["backtests ranked"] == "9"
    assert summary["backtests not ranked (fewer closed trades)"] == "15"
    text = " ".join(" ".join(page.text).split())
    assert (
        "ranked by max_drawdown, among the 9 of 24 backtests with at least 1 closed trade" in text
    )
    assert "No set of FLAT has at least 1 closed trade." in text
    top_rows = body_rows(page.tables["top"])
    expected = fastbt.top(table, 30, "max_drawdown")
    assert [(r[0], int(r[1]), float(r[2])) for r in top_rows] == list(
        zip(expected.symbol, expected.window, expected.oversold, strict=True)
    )
    assert len(top_rows) == 9 and all(r[-2] != "0" for r in top_rows)  # n_trades column
    assert [r[0] for r in body_rows(page.tables["best"])] == ["GOOG"]
    busy = Page(report.render_sweep_html(table, "sharpe", min_trades=5))
    assert dict(busy.tables["summary"])["backtests ranked"] == str((table.n_trades >= 5).sum())
    assert "among the" in " ".join(busy.text) and "at least 5 closed trades" in " ".join(busy.text)
    fastbt.sweep_to_parquet(table, tmp_path / "saved")
    html = tmp_path / "r.html"
    completed = cli("report", str(tmp_path / "saved"), "--min-trades", "0", "--report", str(html))
    assert completed.returncode == 0, completed.stderr
    every = Page(html.read_text())
    assert dict(every.tables["summary"])["backtests ranked"] == "24"
    assert "ranked by sharpe, over all 24 backtests" in " ".join(" ".join(every.text).split())
    assert_one_line_error(
        cli("report", str(tmp_path / "saved"), "--min-trades", "-2"), "--min-trades must be"
    )


def test_sweep_report_escapes_symbols_and_checks_the_metric(table):
    hostile = {"<i>evil</i>": fastbt.load("GOOG")}
    small = fastbt.sweep(hostile, "ma_cross", {"fast": [5, 10], "slow": [20, 30]}, progress=False)
    text = report.render_sweep_html(small)
    assert "<i>evil</i>" not in text and "&lt;i&gt;evil&lt;/i&gt;" in text
    with pytest.raises(ValueError, match="metric must be one of"):
        report.render_sweep_html(table, "luck")


def test_sweep_heatmap_spans_the_parameters_that_vary():
    grid = {"window": [5, 10], "overbought": [65.0, 70.0, 75.0]}  # oversold stays 30
    table = fastbt.sweep("GOOG", "rsi", grid, progress=False)
    assert list(table.columns[1:4]) == ["window", "oversold", "overbought"]
    text = "".join(Page(report.render_sweep_html(table)).text)
    assert "sharpe by window and overbought" in text


needs_pdf = pytest.mark.skipif(
    shutil.which("wkhtmltopdf") is None and not os.environ.get("FASTBT_REQUIRE_PDF"),
    reason="wkhtmltopdf is not installed (CI installs it and sets FASTBT_REQUIRE_PDF)",
)


def first_page_png(pdf, tmp_path):
    """Page count (pdfinfo) and the first page rendered by pdftoppm, as an RGB array."""
    import matplotlib.image

    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(next(x for x in info.stdout.splitlines() if x.startswith("Pages:")).split()[1])
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (png,) = tmp_path.glob("page*.png")
    return pages, matplotlib.image.imread(png)


@needs_pdf
def test_pdf_has_pages_and_a_first_page_with_content(goog_page, tmp_path):
    pdf = report.write_pdf(goog_page, tmp_path / "report.pdf")
    pages, image = first_page_png(pdf, tmp_path)
    assert pages >= 2
    ink = (image[..., :3] < 0.9).any(axis=2).mean()
    assert 0.01 < ink < 0.9  # text and rules on white, neither blank nor solid


def test_pdf_without_wkhtmltopdf_says_how_to_install_it(goog_page, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("FASTBT_WKHTMLTOPDF", raising=False)
    with pytest.raises(OSError, match="apt-get install --no-install-recommends wkhtmltopdf"):
        report.write_pdf(goog_page, tmp_path / "report.pdf")
    assert not (tmp_path / "report.pdf").exists()
    monkeypatch.setenv("FASTBT_WKHTMLTOPDF", str(tmp_path / "nowhere" / "wkhtmltopdf"))
    with pytest.raises(OSError, match=r"FASTBT_WKHTMLTOPDF=.* is not a file"):
        report.write_pdf(goog_page, tmp_path / "report.pdf")


@needs_pdf
def test_cli_run_writes_html_pdf_and_a_saved_result(tmp_path):
    html, pdf, saved = tmp_path / "r.html", tmp_path / "r.pdf", tmp_path / "saved"
    args = ["run", "GOOG", "-p", "fast=10", "-p", "slow=30", "--commission", "0.001"]
    completed = cli(*args, "--report", str(html), "--pdf", str(pdf), "--save", str(saved))
    assert completed.returncode == 0, completed.stderr
    assert f"report: {html}" in completed.stdout and f"pdf: {pdf}" in completed.stdout
    expected = fastbt.run("GOOG", "ma_cross", fast=10, slow=30, commission=0.001)
    shown = {r[0]: r[1] for r in body_rows(Page(html.read_text()).tables["metrics"])}
    assert shown == {name: format_metric(name, v) for name, v in expected.metrics.items()}
    assert first_page_png(pdf, tmp_path)[0] >= 1
    # fastbt report renders the saved result to the same numbers
    completed = cli("report", str(saved))
    assert completed.returncode == 0, completed.stderr
    again = Page((saved / "report.html").read_text())
    assert {r[0]: r[1] for r in body_rows(again.tables["metrics"])} == shown


def test_cli_sweep_report_and_report_of_a_sweep_directory(tmp_path):
    out, html = tmp_path / "out", tmp_path / "sweep.html"
    grid = ["-g", "fast=2:12", "-g", "slow=10:40:5"]
    completed = cli(
        "sweep", "GOOG", *grid, "--out", str(out), "--report", str(html), "--no-progress"
    )
    assert completed.returncode == 0, completed.stderr
    grid_rows = body_rows(Page(html.read_text()).tables["grid"])
    assert grid_rows == [["fast", "10", "2", "11"], ["slow", "6", "10", "35"]]
    completed = cli("report", str(out), "--top", "3", "--sort", "calmar", "--report", str(html))
    assert completed.returncode == 0, completed.stderr
    page = Page(html.read_text())
    assert len(body_rows(page.tables["top"])) == 3
    assert page.tables["top"][0][3] == "calmar"


def test_cli_report_errors_are_one_line_and_write_nothing(tmp_path):
    assert_one_line_error(
        cli("run", "GOOG", "--report", str(tmp_path / "r.txt")), "--report", ".html"
    )
    assert_one_line_error(cli("run", "GOOG", "--pdf", str(tmp_path / "r.html")), "--pdf", ".pdf")
    assert_one_line_error(cli("report", str(tmp_path / "missing")), "not a directory")
    assert_one_line_error(cli("report", str(tmp_path)), "not a saved fastbt sweep")
    env = {**os.environ, "PATH": str(tmp_path)}
    completed = subprocess.run(
        [str(FASTBT), "run", "GOOG", "--pdf", str(tmp_path / "r.pdf")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert_one_line_error(completed, "wkhtmltopdf")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
