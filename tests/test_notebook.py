"""fastbt in a real Jupyter kernel: one notebook, built here and executed with nbclient,
shows a Result as HTML, charts as PNG, and progress bars without warnings."""

import importlib.util

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

HAS_PLOTLY = importlib.util.find_spec("plotly") is not None

CELLS = {
    "result": 'import fastbt\nresult = fastbt.run("GOOG", "ma_cross", fast=10, slow=30)\nresult',
    "plot": 'result.plot("drawdown")',
    "report_chart": "from fastbt import report\nreport.equity_chart(result)",
    "sweep_widgets": (
        'table = fastbt.sweep("GOOG", "ma_cross", {"fast": [5, 10], "slow": [20, 30]}, n_jobs=1)'
    ),
    "plot_sweep": 'fastbt.plot_sweep(table, "fast", "slow", "sharpe")',
    # once pyplot's inline backend is active it has its own formatter for figures
    "after_pyplot": (
        "import matplotlib.pyplot as plt\nplt.figure()\nplt.close('all')\nresult.plot('returns')"
    ),
    "summary": "fastbt.sweep_summary(table)",
    # a kernel without ipywidgets: importing it fails from here on
    "sweep_text": (
        "import sys\nsys.modules['ipywidgets'] = None\n"
        'fastbt.sweep("GOOG", "ma_cross", {"fast": [5, 10], "slow": [20, 30]}, n_jobs=1)\n'
        "None"
    ),
}
if HAS_PLOTLY:
    CELLS["interactive"] = 'result.plot("price", interactive=True)'


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """Each cell's outputs, by name: the notebook runs once, in one kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    folder = tmp_path_factory.mktemp("notebook")
    client = nbclient.NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    )
    client.execute()
    return {name: cell.outputs for name, cell in zip(CELLS, notebook.cells, strict=True)}


def mime_types(cell_outputs) -> set[str]:
    return {kind for output in cell_outputs for kind in output.get("data", {})}


def stderr(cell_outputs) -> str:
    return "".join(o["text"] for o in cell_outputs if o.get("name") == "stderr")


def test_a_result_shows_as_html_with_its_equity_chart(outputs):
    (shown,) = [o for o in outputs["result"] if o["output_type"] == "execute_result"]
    page = shown["data"]["text/html"]
    assert "Backtest: ma_cross(fast=10, slow=30) on GOOG" in page
    assert "sharpe" in page and "data:image/png;base64," in page


@pytest.mark.parametrize("cell", ["plot", "report_chart", "plot_sweep", "after_pyplot"])
def test_figures_show_as_one_png_with_or_without_pyplot(outputs, cell):
    images = [o for o in outputs[cell] if "image/png" in o.get("data", {})]
    assert len(images) == 1
    assert not any("<Figure size" in str(o.get("data", {})) for o in outputs[cell])


def test_the_sweep_summary_shows_as_html(outputs):
    assert "text/html" in mime_types(outputs["summary"])


def test_progress_is_a_widget_when_ipywidgets_is_there(outputs):
    assert "application/vnd.jupyter.widget-view+json" in mime_types(outputs["sweep_widgets"])
    assert stderr(outputs["sweep_widgets"]) == ""


def test_progress_is_text_without_ipywidgets_and_never_warns(outputs):
    text = stderr(outputs["sweep_text"])
    assert "sweep" in text and "100%" in text
    assert "application/vnd.jupyter.widget-view+json" not in mime_types(outputs["sweep_text"])
    every_stderr = "".join(stderr(cell) for cell in outputs.values())
    assert "Warning" not in every_stderr and "IProgress" not in every_stderr


@pytest.mark.skipif(not HAS_PLOTLY, reason="the interactive extra (plotly) is not installed")
def test_an_interactive_chart_shows_as_plotly(outputs):
    assert "application/vnd.plotly.v1+json" in mime_types(outputs["interactive"])
