"""A self-contained HTML page for reviewing extracted candidates.

``cqreport extract RELEASE --out C.csv`` writes ``C.review.html`` beside the
candidates. The page needs no network and no server: the candidates, the
release text around each one and the metric and entity catalogue are embedded
as JSON, and a small script (``review.js``, inlined) renders every candidate in
its sentence with the figure highlighted, its proposed labels, confidence,
suggestions and the extractor's reason. The analyst accepts, edits or rejects
each one and downloads the reviewed CSV (a Blob download, works offline) as
``C.reviewed.csv``, which ``cqreport extract C.reviewed.csv --append`` takes;
proposed catalogue rows (``C.metrics.csv``) are reviewed on the same page and
downloaded as ``C.reviewed.metrics.csv``, which the append picks up beside it.

Text from the release is only ever inserted with ``textContent``, so markup in
a release cannot run in the page.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
from importlib import resources
from pathlib import Path

from ..core import paths
from ..errors import ExtractError
from .append import metrics_path_for
from .reading import read_release

# Sentence ends: Chinese full stop/question/exclamation/semicolon, a line break, or ". " in English.
_SENTENCE_END = re.compile(r"[。！？；!?\n]|\.(?=\s)")
_MAX_CONTEXT = 400  # characters either side at most, for releases without punctuation


def review_path_for(candidates: str | Path) -> Path:
    """``C.csv`` → ``C.review.html``."""
    p = Path(candidates)
    return p.with_name(p.stem + ".review.html")


def looks_like_candidates(path: str | Path) -> bool:
    """True when ``path`` is a candidates CSV (its header has metric_id, value, quote and status),
    which must go to ``--append``, not be read as a release."""
    p = Path(path)
    if not p.is_file():   # a folder, or a FIFO or device that opening would block on or drain
        return False
    try:
        with p.open("rb") as fh:
            first = fh.read(4096).split(b"\n", 1)[0]
    except OSError:
        return False
    head = first.decode("utf-8-sig", errors="replace").strip().lower()
    cols = {c.strip().strip('"') for c in head.split(",")}
    return {"metric_id", "value", "quote", "status"} <= cols


def _read_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ExtractError(f"{path}: could not be read for the review page ({exc})") from None


def sentence_around(text: str, start: int, end: int) -> tuple[int, int]:
    """Offsets of the sentence (or sentences) holding ``text[start:end]``.

    >>> t = "一季度增长5%。3月末余额6.54万亿元，同比增长6.8%。其他。"
    >>> s, e = sentence_around(t, t.index("6.54"), t.index("6.54") + 4)
    >>> t[s:e]
    '3月末余额6.54万亿元，同比增长6.8%。'
    """
    lo = max(0, start - _MAX_CONTEXT)
    s = start
    while s > lo and not _SENTENCE_END.match(text, s - 1):
        s -= 1
    hi = min(len(text), end + _MAX_CONTEXT)
    e = end
    while e < hi:
        m = _SENTENCE_END.match(text, e)
        e += 1
        if m:
            break
    while s < start and text[s].isspace():
        s += 1
    return s, e


def _candidate_context(text: str, row: dict[str, str]) -> dict:
    try:
        qs, qe = int(row.get("quote_start", "")), int(row.get("quote_end", ""))
    except ValueError:
        qs = qe = -1
    if not (0 <= qs <= qe <= len(text)):
        # offsets missing or edited away: show the quote itself, found in the text if possible
        quote = row.get("quote", "")
        qs = text.find(quote) if quote else -1
        if qs < 0:
            return {"before": "", "quote": quote, "after": "", "found": False}
        qe = qs + len(quote)
    s, e = sentence_around(text, qs, qe)
    return {"before": text[s:qs], "quote": text[qs:qe], "after": text[qe:e], "found": True}


def _catalogue(ddir: Path) -> dict:
    out = {"metrics": [], "entities": []}
    for name, cols in (("metrics", ("metric_id", "name_zh", "name_en", "units", "kind")),
                       ("entities", ("entity_id", "name_zh", "name_en"))):
        p = ddir / f"{name}.csv"
        if p.is_file():
            _, rows = _read_rows(p)
            out[name] = [{c: r.get(c, "") for c in cols} for r in rows]
    return out


def _json_for_script(obj) -> str:
    # "</" would end the <script> element early; "<!--" could open a comment state
    return (json.dumps(obj, ensure_ascii=False)
            .replace("</", "<\\/").replace("<!--", "<\\!--")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def build_review_html(candidates: str | Path, release: str | Path, data_dir: str | Path | None = None,
                      encoding: str | None = None, lang: str | None = None) -> str:
    """The review page for a candidates CSV and the release it was extracted from."""
    cpath = Path(candidates)
    header, rows = _read_rows(cpath)
    rel = read_release(release, encoding=encoding, lang=lang)
    cands = []
    for i, r in enumerate(rows, start=1):
        cands.append({"n": i, "row": r, "context": _candidate_context(rel.original, r)})
    mpath = metrics_path_for(cpath)
    metrics_header, metrics_rows = _read_rows(mpath) if mpath.is_file() else ([], [])
    payload = {
        "candidates_file": cpath.name,
        "reviewed_file": cpath.stem + ".reviewed.csv",
        "reviewed_metrics_file": cpath.stem + ".reviewed.metrics.csv",
        "release": Path(release).name,
        "lang": rel.lang,
        "header": header,
        "candidates": cands,
        "metrics_header": metrics_header,
        "proposed_metrics": metrics_rows,
        "catalogue": _catalogue(paths.data_dir(data_dir)),
    }
    assets = resources.files("cqreport.extract") / "review_assets"
    css = (assets / "review.css").read_text(encoding="utf-8")
    js = (assets / "review.js").read_text(encoding="utf-8")
    title = f"Review: {cpath.name} ({Path(release).name})"
    return f"""<!DOCTYPE html>
<html lang="{'zh-CN' if rel.lang == 'zh' else 'en'}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; \
script-src 'unsafe-inline'; img-src data: blob:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{css}</style>
</head>
<body>
<header>
  <h1>{html.escape(title)}</h1>
  <p class="how">Each card is one figure the extractor found, shown in its sentence. Accept it as
  proposed, correct the fields and accept, or reject it. Click a suggestion to use it. Your choices
  are kept in this browser until you download. Then run
  <code>cqreport extract {html.escape(cpath.stem)}.reviewed.csv --append</code>.</p>
  <div class="bar">
    <input id="filter" type="search" placeholder="filter: text, metric, status…" aria-label="filter">
    <span id="counts"></span>
    <button id="download" type="button">Download reviewed CSV</button>
    <button id="reset" type="button" title="forget the choices made in this page">Reset</button>
  </div>
</header>
<main>
  <section id="metrics-section" hidden>
    <h2>Proposed new metrics</h2>
    <p class="how">Accept a catalogue row to add it to <code>data/metrics.csv</code> with the
    observations that use it.</p>
    <div id="metrics"></div>
    <button id="download-metrics" type="button">Download reviewed metrics CSV</button>
  </section>
  <section><h2>Candidates</h2><div id="cards"></div></section>
</main>
<datalist id="metric-ids"></datalist>
<datalist id="entity-ids"></datalist>
<script id="review-data" type="application/json">{_json_for_script(payload)}</script>
<script>{js}</script>
</body>
</html>
"""


def write_review(candidates: str | Path, release: str | Path, data_dir: str | Path | None = None,
                 encoding: str | None = None, lang: str | None = None,
                 out: str | Path | None = None) -> Path:
    """Write ``C.review.html`` beside the candidates file (atomically) and return its path."""
    target = Path(out) if out else review_path_for(candidates)
    text = build_review_html(candidates, release, data_dir, encoding, lang)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ExtractError(f"{target}: could not write the review page ({exc.strerror or exc})") from None
    return target
