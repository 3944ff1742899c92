"""Export an executed notebook: self-contained HTML (nbconvert) and an A4 PDF (WeasyPrint).

The HTML has no code cells, the report stylesheet and the CJK font subset
embedded; the PDF is printed from that page in a forked process, so the
caller can audit the HTML meanwhile.
"""

from __future__ import annotations

import functools
import html as html_lib
import multiprocessing
import re
import sys
from collections.abc import Callable
from pathlib import Path

from ..core import paths
from ..errors import BuildError

REMOVE_TAG = "remove-from-report"
#: Tagged for assistive technology (ISO 14289-1); checked by tests/test_accessibility.py.
PDF_VARIANT = "pdf/ua-1"


def _notebook_for_export(nb):
    """A copy of the executed notebook as the reader sees it: no code, no notes, no stderr."""
    import copy

    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if REMOVE_TAG not in c.get("metadata", {}).get("tags", [])
                and "parameters" not in c.get("metadata", {}).get("tags", [])
                and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", [])
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    return nb


def page_title(body: str) -> str:
    """The text of the first heading of the rendered body."""
    m = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S) or re.search(r"<h2[^>]*>(.*?)</h2>", body, re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else "cqreport"


@functools.cache
def html_exporter():
    """nbconvert's HTML exporter as the report uses it (made once per process)."""
    from nbconvert import HTMLExporter

    return HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                        exclude_output_prompt=True, anchor_link_text="")


@functools.cache
def page_template():
    """The page frame (``assets/report_page.html``), loaded once per process (the preview
    clears it when the assets change)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(loader=FileSystemLoader(paths.ASSETS_DIR),
                      autoescape=select_autoescape(["html"]))
    return env.get_template("report_page.html")


def export_html(nb, lang: str) -> str:
    """The executed notebook as one self-contained HTML page (no code, embedded font)."""
    body, _ = html_exporter().from_notebook_node(_notebook_for_export(nb))
    return html_page(body, lang)


def html_page(body: str, lang: str) -> str:
    """An HTML body in the report's page: its frame, its stylesheet and the subset of the CJK
    font that its text needs. The report and its evidence (the narrative's
    ``evidence_html``, which the notebook already wrote) are both made so."""
    from ..report.fonts import css_font_face

    title = page_title(body)
    css = (paths.ASSETS_DIR / "report.css").read_text(encoding="utf-8")
    page = page_template().render(lang="zh-CN" if lang == "zh" else "en", title=title,
                                   css=css, body=body)
    font_css = css_font_face(visible_text(page) + title)
    return page.replace("/*@font-face*/", font_css, 1)


def visible_text(page: str) -> str:
    """The text a reader sees in an HTML page (tags, styles and data URIs dropped).

    >>> visible_text('<p>余额 <b>6.54</b>万亿元</p><style>p{}</style>')
    '余额 6.54万亿元'
    """
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<[^>]+>", "", page)
    return html_lib.unescape(page).strip()


@functools.cache
def warm_up_printer() -> None:
    """Print one tiny page, once per process: the first document pays for Pango, fontconfig
    and WeasyPrint's default stylesheet, so the report's own PDF does not."""
    import weasyprint

    from ..report import fonts

    font = fonts.find_cjk_font()
    weasyprint.HTML(string=f'<p style="font-family: \'{font.family}\'">重庆 A4</p>').write_pdf()


def start_pdf(page: str, target: Path, limit: float | None = None) -> Callable[[], None]:
    """Start printing the PDF; return the function that waits for it.

    On Linux the PDF is printed by a forked child process, so that this process
    can audit the HTML meanwhile (on the other core). Elsewhere it is printed here.

    Args:
        page: The HTML page.
        target: The PDF file to write.
        limit: Seconds the print may take; a child still printing then is stopped.

    Raises:
        BuildError: From the returned function, if the PDF could not be made in time.
    """
    if not sys.platform.startswith("linux"):
        export_pdf(page, target)
        return lambda: None
    error_file = target.with_name(target.name + ".error")
    proc = multiprocessing.get_context("fork").Process(
        target=_pdf_child, args=(page, target, error_file), name="cqreport-pdf")
    proc.start()

    def wait() -> None:
        proc.join(limit)
        if proc.is_alive():
            proc.kill()
            proc.join()
            target.unlink(missing_ok=True)
            raise BuildError(f"WeasyPrint did not print the PDF within {limit:.0f} s; stopped it")
        if proc.exitcode != 0 or not target.is_file():
            detail = error_file.read_text(encoding="utf-8") if error_file.is_file() else ""
            error_file.unlink(missing_ok=True)
            raise BuildError(f"WeasyPrint could not print the PDF (exit code {proc.exitcode})"
                             + (f": {detail}" if detail else ""))

    return wait


def _pdf_child(page: str, target: Path, error_file: Path) -> None:
    import os
    import shutil
    import tempfile

    # WeasyPrint's font configuration makes a weasyprint-* temp folder that it removes
    # only when collected, which a forked child never is: give it one to lose here
    own = tempfile.mkdtemp(prefix=f"cqreport-pdf-{os.getpid()}-")
    tempfile.tempdir = own
    try:
        export_pdf(page, target)
    except KeyboardInterrupt:
        shutil.rmtree(own, ignore_errors=True)
        os._exit(130)  # Ctrl-C: the parent says so in one line; no traceback from here
    except BaseException as exc:
        error_file.write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")
        raise
    finally:
        shutil.rmtree(own, ignore_errors=True)


def export_pdf(page: str, target: Path) -> None:
    """Print the HTML page to an A4 PDF with WeasyPrint (fonts embedded as subsets).

    The PDF is tagged PDF/UA-1: structure tree, reading order, each chart's ``alt`` as its
    figure's /Alt, and the page's ``<html lang>`` and ``<title>`` as the document's language
    and title (shown by viewers instead of the file name).

    The page is self-contained (images and fonts inline), so it is printed without a base
    URL: a relative link (a footnote's ``evidence.html#ref-3``) stays relative in the PDF,
    beside which the evidence is published, instead of becoming a ``file:`` URL of the
    folder it was printed in (which the swap removes, and which made two prints of one
    page differ).
    """
    import weasyprint

    weasyprint.HTML(string=page).write_pdf(str(target), pdf_variant=PDF_VARIANT)
