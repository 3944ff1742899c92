"""Read curated CSV files into string DataFrames without losing or changing anything.

Reading is strict but forgiving about how a file was saved: a UTF-8 byte-order
mark is accepted, and a file that Excel saved as GB18030/GBK is decoded as
such (with a note). Anything else that stops a file being read becomes a
:class:`~cqreport.errors.Problem` naming the file, row and column. Files are
only ever read here, never written.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import Problem

UTF8_BOM = b"\xef\xbb\xbf"
TABLES = ("metrics", "entities", "sources", "observations")


def data_files(data_dir: Path) -> list[Path]:
    """The files that make up a data folder: the descriptor and the four tables."""
    return [Path(data_dir) / "datapackage.json", *(Path(data_dir) / f"{t}.csv" for t in TABLES)]


@dataclass
class Table:
    """One CSV file as read.

    Attributes:
        name: Table name (metrics, sources, entities, observations).
        path: The file.
        frame: Every cell as a stripped string ("" when empty); index 0 is spreadsheet row 2.
        encoding: How the bytes were decoded.
        problems: What stopped part of the file being read.
        notes: Things the user should know that are not errors (e.g. the encoding used).
    """

    name: str
    path: Path
    frame: pd.DataFrame | None
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True if the file could be read into a frame."""
        return self.frame is not None


def display_path(path: Path) -> str:
    """A path as short as it can be for messages: relative to the working folder if inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def decode_bytes(raw: bytes, where: str) -> tuple[str | None, str, Problem | None]:
    """Decode a CSV file's bytes.

    Args:
        raw: The file's bytes.
        where: The file's name for messages.

    Returns:
        (text, encoding, problem): text is None when the bytes cannot be decoded.
    """
    if raw.startswith(UTF8_BOM):
        raw, bom = raw[len(UTF8_BOM):], True
    else:
        bom = False
    try:
        return raw.decode("utf-8"), "utf-8-sig" if bom else "utf-8", None
    except UnicodeDecodeError as utf8_err:
        bad = utf8_err.start
    if not bom:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and not looks_like_big5(raw, text):
            return text, "gb18030", None
        if text is not None:
            return None, "big5", Problem(
                file=where, row=None, column=None,
                found="bytes that look like Big5 (traditional Chinese; read as GB18030 they "
                      f"give {text[:12]!r}…)",
                expected="UTF-8 text (in Excel: Save As 'CSV UTF-8'; or iconv -f BIG5 -t UTF-8)",
                check="encoding")
    line = raw.count(b"\n", 0, bad) + 1
    col = bad - (raw.rfind(b"\n", 0, bad) + 1) + 1
    return None, "unknown", Problem(
        file=where,
        row=None,
        column=None,
        found=f"byte 0x{raw[bad]:02x} at line {line}, byte {col} that is neither UTF-8 nor GB18030",
        expected="UTF-8 text (in Excel: Save As 'CSV UTF-8'); GB18030/GBK is also read",
        check="encoding",
    )


def looks_like_big5(raw: bytes, gb_text: str) -> bool:
    """True when bytes that GB18030 decoded are more likely Big5.

    Big5 bytes decode as GB18030 without error but give mojibake: kana, rare
    hanzi and symbols outside GB2312. Text really saved as GBK is almost all
    GB2312. So: the bytes are valid Big5, and at least a fifth of the decoded
    characters outside ASCII are not GB2312.
    """
    try:
        raw.decode("big5")
    except UnicodeDecodeError:
        return False
    wide = [c for c in gb_text if ord(c) > 0x7F]
    if not wide:
        return False
    rare = 0
    for c in wide:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            rare += 1
    return rare >= 0.2 * len(wide)


def read_table(path: Path, name: str, columns: list[str] | None = None) -> Table:
    """Read one curated CSV file as strings.

    Header names and cells are stripped of surrounding whitespace; nothing else
    is changed. Type, enum and key checks happen later (see validate.py), so
    that every problem of every file can be reported at once.

    Args:
        path: The CSV file.
        name: Table name, for messages.
        columns: Expected header, used to explain an empty file.

    Returns:
        A Table; ``table.frame`` is None if the file could not be read at all.
    """
    where = display_path(path)
    table = Table(name, path, None)
    expected_header = f"a header row: {','.join(columns)}" if columns else "a header row"
    if not path.is_file():
        table.problems.append(Problem(where, None, None, "no such file",
                                      f"a CSV file with {expected_header}", "missing-file"))
        return table
    raw = path.read_bytes()
    if not raw.replace(UTF8_BOM, b"").strip():
        table.problems.append(Problem(where, None, None, "an empty file", expected_header,
                                      "empty-file"))
        return table
    text, table.encoding, problem = decode_bytes(raw, where)
    if problem:
        table.problems.append(problem)
        return table
    if table.encoding == "gb18030":
        table.notes.append(f"{where}: read as GB18030 (as Excel saves CSV on Chinese Windows); "
                           "save it as UTF-8 to make this note go away")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = [h.strip() for h in rows[0]]
    body = []
    for i, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line (Excel leaves them at the end)
        if len(cells) != len(header):
            extra = cells[len(header):]
            found = (f"{len(cells)} cells (extra: {extra!r})" if len(cells) > len(header)
                     else f"{len(cells)} cells")
            table.problems.append(Problem(
                where, i, None, found,
                f"{len(header)} cells, one per header column (a comma inside a cell needs \"quotes\")",
                "row-length"))
            continue
        body.append((i, [c.strip() for c in cells]))
    frame = pd.DataFrame([c for _, c in body], columns=header, dtype=object)
    frame.index = pd.Index([i for i, _ in body], name="row")
    table.frame = frame.fillna("").astype(str) if len(frame) else frame
    return table
