"""The ``sources.csv`` row of a release that is not registered yet, drafted from its header.

A stored release starts with ``source:``, ``title:`` and ``date:`` lines. The draft takes
the address, the title, the date (and whether it was inferred), the file's name and sha256
and the language from them; it guesses the reliability grade from what the header says
(a repost, a mirror, an AI summary) and leaves the four report labels in the other language
(``title_en`` of a Chinese release…) empty, to be filled in on the review page: ``--append``
refuses an empty one. Each field has its reason in the ``reason`` column.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..core import paths
from ..core.files import sha256_file
from ..core.vocab import word
from .catalogue import Catalogue
from .reading import Release

SOURCE_STATUS = "proposed"
_URL = re.compile(r"https?://\S+")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_GRADES = (("machine_summary", re.compile(r"AI summary|machine|reportify", re.I)),
           ("forum", re.compile(r"forum|论坛", re.I)),
           ("mirror", re.compile(r"repost|mirror|转载|镜像|copy of", re.I)))


def draft_source(release: Release, catalogue: Catalogue, sources_dir: Path | None = None
                 ) -> dict[str, str] | None:
    """A draft registry row for a release, or None when the registry already has it."""
    path = release.path
    if path is None or catalogue.source_for(path) is not None:
        return None
    header = release.header
    src_line, date_line = header.get("source", ""), header.get("date", "")
    url = (_URL.search(src_line) or [""])[0].rstrip(").,;")
    day = (_ISO.search(date_line) or [""])[0]
    kind = "inferred" if re.search(r"infer|undated|unknown", date_line, re.I) or not day else "publication"
    grade = next((g for g, pat in _GRADES if pat.search(src_line)), "press")
    title, described = _title(header.get("title", ""))
    host = re.sub(r"^www\d?\.", "", url.split("/")[2]) if url.count("/") >= 2 else ""
    sdir = paths.sources_dir(sources_dir)
    try:
        file = str(path.resolve().relative_to(sdir.resolve())) if sdir else path.name
    except ValueError:
        file = path.name
    sid = _source_id(path, {s.get("source_id", "") for s in catalogue.sources})
    own = "zh" if release.lang == "zh" else "en"
    other = "en" if own == "zh" else "zh"
    # a description stays in brackets in title, as the curators keep theirs (data/README.md)
    row = {"source_id": sid, "title": f"[{title}]" if described else title, "publisher": host,
           "date": day, "date_kind": kind, "url": url, "file": file, "sha256": sha256_file(path),
           "language": release.lang,
           "reliability": grade, "reliability_note": f"Drafted from the header: {src_line[:200]}",
           "date_note": date_line if kind == "inferred" or "(" in date_line else "",
           f"title_{own}": title + (word("text", "no_title", own) if described else ""),
           f"title_{other}": "",
           f"publisher_{own}": host,
           f"publisher_{other}": "", "status": SOURCE_STATUS}
    dated = "the header says the date was inferred" if kind == "inferred" else "the date the page shows"
    graded = "the header calls it that" if grade != "press" else "no repost, mirror or summary named"
    language = "English" if other == "en" else "Chinese"
    row["reason"] = (f"source_id: from the file name; title, url, date: the header's title:, source: "
                     f"and date: lines; date_kind {kind}: {dated}; reliability {grade}: {graded}; "
                     f"publisher: the address's host, name it properly; title_{other}, "
                     f"publisher_{other}: empty, to write in {language} (the {other} report lists "
                     "sources in its own language)")
    return row


def _source_id(path: Path, taken: set[str]) -> str:
    """2025-07-21_tsbk-guangdong-pbocgd-2025H1.txt → tsbk_guangdong_pbocgd_2025h1 (unique)."""
    stem = re.sub(r"^(?:\d{4}-\d{2}-\d{2}|undated)_", "", path.stem).lower()
    sid = re.sub(r"[^a-z0-9]+", "_", stem).strip("_") or "source"
    if not sid[0].isalpha():
        sid = "s_" + sid
    base, n = sid, 2
    while sid in taken:
        sid, n = f"{base}_{n}", n + 1
    return sid


def _title(line: str) -> tuple[str, bool]:
    """The title a header gives, and whether it is the stored page's own or a description in
    brackets (``[中新网成都1月21日电 — 2024年四川省金融运行; no title line in excerpt]``: the
    description, without the dateline and the note)."""
    line = line.strip()
    described = line.startswith("[") and line.endswith("]")
    body = line[1:-1] if described else line
    body = re.split(r";\s*(?:no title|title not|inferred|from )", body)[0]
    parts = [p.strip() for p in body.split(" — ")
             if p.strip() and not re.match(r"(?:from|no title|title not|inferred)\b", p.strip(), re.I)]
    if not parts:
        return body.strip(), described
    dateline = re.search(r"电$|讯$|[:：]", parts[0])
    return (parts[-1] if len(parts) > 1 and dateline else parts[0]), described
