"""``reports/index.html``: one page linking every report built, read from their manifests."""

from __future__ import annotations

import re
from pathlib import Path

from ..core import paths
from ..core.files import atomic_write_text
from ..core.vocab import REPORT_LANGS
from ..errors import BuildError
from .export import visible_text
from .folders import FAILED_NOTEBOOK
from .inputs import MANIFEST, read_manifest

QUARTER_DIR = re.compile(r"[0-9]{4}Q[1-4]")


def write_index(reports_dir: Path) -> Path:
    """Write ``reports/index.html`` linking every report that has a manifest."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    rows = []
    for manifest_path in sorted(Path(reports_dir).glob(f"*/*/{MANIFEST}")):
        m = read_manifest(manifest_path.parent)
        if not m:
            continue
        rel = manifest_path.parent.relative_to(reports_dir).as_posix()
        q, lg = rel.split("/", 1)
        if not (QUARTER_DIR.fullmatch(q) and lg in REPORT_LANGS):
            continue  # a leftover .building-* or .old-* folder, or someone else's files
        files = {n: f"{rel}/{n}" for n in ("report.html", "report.pdf", "evidence.html",
                                           "evidence.pdf", "report.ipynb")
                 if (manifest_path.parent / n).is_file()}
        failed = (manifest_path.parent / FAILED_NOTEBOOK).is_file()
        rows.append({"quarter": q, "lang": lg, "files": files, "built_at": str(m.get("built_at", "")),
                     "failed": failed, "manifest": f"{rel}/{MANIFEST}",
                     "git": str(m.get("git_revision") or "")})
    rows.sort(key=lambda r: r["lang"] != "zh")  # Chinese first within a quarter...
    rows.sort(key=lambda r: r["quarter"], reverse=True)  # ...newest quarter first
    env = Environment(loader=FileSystemLoader(paths.ASSETS_DIR),
                      autoescape=select_autoescape(["html"]))
    css = (paths.ASSETS_DIR / "report.css").read_text(encoding="utf-8")
    text = env.get_template("index.html").render(rows=rows, css=css)
    from ..report.fonts import css_font_face

    text = text.replace("/*@font-face*/", css_font_face(visible_text(text)), 1)
    target = Path(reports_dir) / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write_text(target, text)
    except OSError as exc:  # the temporary file is gone already; the old index stays
        raise BuildError(f"could not write {target}: {exc.strerror or exc}; the reports are built, "
                         "the previous index was kept") from None
    return target
