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

import contextlib
import csv
import html
import json
import re
import string
from importlib import resources
from pathlib import Path

from ..core import paths
from ..core.files import atomic_write_text, sha256_file
from ..errors import ExtractError
from .append import check_reviewed, side_path_for
from .history import History, Past
from .propose import PRIORITY_MEANING
from .reading import paragraphs, read_release

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
    """The candidate's quote in its sentence: at its offsets when they still hold the quote,
    else where the quote occurs, else the quote alone (``found`` False)."""
    quote = row.get("quote", "")
    try:
        qs, qe = int(row.get("quote_start", "")), int(row.get("quote_end", ""))
    except ValueError:
        qs = qe = -1
    held = 0 <= qs <= qe <= len(text) and "".join(text[qs:qe].split()) == "".join(quote.split())
    if not held:
        qs = text.find(quote) if quote else -1
        if qs < 0:
            return {"before": "", "quote": quote, "after": "", "found": False, "qs": -1}
        qe = qs + len(quote)
    s, e = sentence_around(text, qs, qe)
    return {"before": text[s:qs], "quote": text[qs:qe], "after": text[qe:e], "found": True,
            "qs": qs, "start": s}


def _catalogue(ddir: Path) -> dict:
    out = {"metrics": [], "entities": []}
    for name, cols in (("metrics", ("metric_id", "name_zh", "name_en", "units", "kind", "priority")),
                       ("entities", ("entity_id", "name_zh", "name_en", "entity_type"))):
        p = ddir / f"{name}.csv"
        if p.is_file():
            _, rows = _read_rows(p)
            out[name] = [{c: r.get(c, "") for c in cols} for r in rows]
    return out


def _json_for_script(obj) -> str:
    """JSON that a ``<script type="application/json">`` element holds safely: every ``<``, ``>``
    and ``&`` escaped as a JSON unicode escape, so no text (``</script>``, ``<!--``) can end
    the element or open a comment state, and the JSON stays valid."""
    return (json.dumps(obj, ensure_ascii=False)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _history(past: Past) -> dict:
    o = past.obs
    return {"row": past.row, "source_id": o.get("source_id", ""),
            "title": past.source.get("title_en") or past.source.get("title", ""),
            "metric_id": o.get("metric_id", ""), "entity_id": o.get("entity_id", ""),
            "value": o.get("value", ""), "unit": o.get("unit", ""), "qualifier": o.get("qualifier", ""),
            "period_end": o.get("period_end", ""), "quote": o.get("quote", ""),
            "caution": o.get("caution", "")}


def _side(cpath: Path, name: str) -> dict:
    p = side_path_for(cpath, name)
    header, rows = _read_rows(p) if p.is_file() else ([], [])
    return {"header": header, "rows": rows, "file": f"{cpath.stem}.reviewed.{name}.csv"}


def _problems_as_proposed(cpath: Path, header: list[str], rows: list[dict[str, str]], sides: dict,
                          ddir: Path, sources_dir) -> list[str]:
    """What --append would say of the candidates as proposed, each one accepted (for the page
    opened as a file, where edits cannot be checked)."""
    accepted = [dict(r, status="accepted") if (r.get("status") or "") != "rejected" else dict(r)
                for r in rows]
    side_rows = {k: (v["header"], [dict(r, status="accepted") for r in v["rows"]])
                 for k, v in sides.items()}
    try:
        return check_reviewed(header, accepted, side_rows, cpath.with_name(cpath.stem + ".reviewed.csv"),
                              ddir, sources_dir)
    except ExtractError as exc:
        return [str(exc)]


def build_review_html(candidates: str | Path, release: str | Path, data_dir: str | Path | None = None,
                      encoding: str | None = None, lang: str | None = None, live: str = "",
                      sources_dir: str | Path | None = None) -> str:
    """The review page for a candidates CSV and the release it was extracted from.

    Args:
        live: A session token when ``cqreport review`` serves the page: it then asks the
            server for --append's checks as the analyst edits. Empty for the page as a file.
    """
    cpath = Path(candidates)
    header, rows = _read_rows(cpath)
    rel = read_release(release, encoding=encoding, lang=lang)
    ddir = paths.data_dir(data_dir)
    history = History(ddir)
    blocks = paragraphs(rel)
    cands = []
    for i, r in enumerate(rows, start=1):
        ctx = _candidate_context(rel.original, r)
        qs = ctx.pop("qs", -1)
        section = next((k for k, b in enumerate(blocks, start=1) if b.start <= qs < b.end + 1), 0)
        cands.append({"n": i, "row": r, "context": ctx, "section": section,
                      "history": [_history(p) for p in history.of(r)[:5]]})
    sides = {name: _side(cpath, name) for name in ("metrics", "entities", "source")}
    digest = ""
    with contextlib.suppress(OSError):
        digest = sha256_file(cpath)
    payload = {
        "candidates_file": cpath.name,
        "candidates_sha256": digest,
        "reviewed_file": cpath.stem + ".reviewed.csv",
        "release": Path(release).name,
        "lang": rel.lang,
        "text": rel.original,
        "body_start": rel.body_start,
        "sections": [{"n": k, "start": b.start, "head": rel.original[b.start:b.start + 24]}
                     for k, b in enumerate(blocks, start=1)],
        "header": header,
        "candidates": cands,
        "sides": sides,
        "catalogue": _catalogue(ddir),
        "priority_meaning": PRIORITY_MEANING,
        "warnings": _warnings(rel),
        "live": live,
        "problems": [] if live else _problems_as_proposed(cpath, header, rows, sides, ddir, sources_dir),
    }
    assets = resources.files("cqreport.extract") / "review_assets"
    page = string.Template((assets / "review.html").read_text(encoding="utf-8"))
    return page.substitute(
        lang="zh-CN" if rel.lang == "zh" else "en", connect="'self'" if live else "'none'",
        title=html.escape(f"Review: {cpath.name} ({Path(release).name})"), stem=html.escape(cpath.stem),
        css=(assets / "review.css").read_text(encoding="utf-8"),
        js=(assets / "review.js").read_text(encoding="utf-8"), payload=_json_for_script(payload))


def _warnings(rel) -> list[str]:
    from .rows import stripped_numbers

    found = stripped_numbers(rel)
    return [f"{len(found)} place(s) show a unit without its number: the page's figures look "
            "stripped by a scraper"] if found else []


def write_review(candidates: str | Path, release: str | Path, data_dir: str | Path | None = None,
                 encoding: str | None = None, lang: str | None = None,
                 out: str | Path | None = None, sources_dir: str | Path | None = None) -> Path:
    """Write ``C.review.html`` beside the candidates file (atomically) and return its path."""
    target = Path(out) if out else review_path_for(candidates)
    text = build_review_html(candidates, release, data_dir, encoding, lang, sources_dir=sources_dir)
    try:
        atomic_write_text(target, text)
    except OSError as exc:
        raise ExtractError(f"{target}: could not write the review page ({exc.strerror or exc})") from None
    return target
