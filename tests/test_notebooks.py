"""The notebooks: thin, committed without outputs, runnable top to bottom with their defaults."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from cqreport.report.params import notebook_parameters

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_both_notebooks_are_there():
    assert {p.name for p in NOTEBOOKS} == {"quarterly_report.ipynb", "explore_data.ipynb"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: a cell has outputs"
            assert cell.execution_count is None, f"{path.name}: a cell has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_no_functions_or_classes(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defs = [n for n in ast.walk(tree)
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)]
        assert not defs, f"{path.name}: defines {type(defs[0]).__name__} in {cell.source[:60]!r}"
        assert len(cell.source.splitlines()) <= 12, f"{path.name}: a long cell belongs in cqreport"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_comes_first_and_kernel_is_named(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert nb.metadata["kernelspec"]["name"] == "cqreport"
    assert notebook_parameters(path)


def test_report_notebook_calls_the_library_for_every_section():
    src = "\n".join(c.source for c in nbformat.read(ROOT / "notebooks" / "quarterly_report.ipynb",
                                                     as_version=4).cells if c.cell_type == "code")
    for needed in ("title_html", "key_points_html", "headline_table_html", "appendix_html"):
        assert needed in src
    for topic in ("credit", "cross_border", "auto", "corridor"):
        assert f'section_html("{topic}")' in src
        assert f'topic_charts(qd, "{topic}"' in src


def _execute(path: Path, tmp_path: Path, parameters: dict | None = None):
    import papermill

    return papermill.execute_notebook(str(path), str(tmp_path / path.name),
                                      parameters=parameters or {}, kernel_name="cqreport",
                                      execution_timeout=300, progress_bar=False,
                                      cwd=str(ROOT))


def _outputs(nb, mime: str) -> str:
    return "\n".join(str(o.get("data", {}).get(mime, "")) for c in nb.cells
                     if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_report_notebook_runs_with_its_defaults(tmp_path, real_ds):
    nb = _execute(ROOT / "notebooks" / "quarterly_report.ipynb", tmp_path)
    html = _outputs(nb, "text/html")
    assert real_ds.latest_quarter().label("zh") in html  # quarter None: the latest
    assert html.count('<figure class="cq-chart"') >= 4
    stderr = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert not [s for s in stderr if "Glyph" in s], stderr


@pytest.mark.slow
def test_explore_notebook_shows_catalogue_sources_validation_and_series(explore_executed, real_ds):
    nb = explore_executed
    html = _outputs(nb, "text/html")
    text = "\n".join(o.get("text", "") for c in nb.cells if c.cell_type == "code"
                     for o in c.outputs if o.output_type == "stream")
    assert real_ds.metrics.index[0] in html  # the catalogue table
    assert real_ds.sources.index[0] in html  # the sources table
    assert str(real_ds.latest_quarter()) in text  # quarters with data
    assert "problem" in text.lower() or "ok" in text.lower()  # validation summary
    images = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 4  # the series overviews, drawn by the chart rules (report.explore)
    stderr = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr"]
    assert not [s for s in stderr if "Glyph" in s], stderr
