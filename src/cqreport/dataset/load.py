"""Read curated CSV files into string DataFrames without losing or changing anything.

Reading is strict but forgiving about how a file was saved: a UTF-8 byte-order
mark is accepted, and a file that Excel saved as GB18030/GBK is decoded as
such (with a note). Anything else that stops a file being read becomes a
:class:`~cqreport.errors.Problem` naming the file, row and column. Files are
only ever read here, never written.

Strict means: Python's ``csv`` module with ``strict=True`` (a quote left open
at the end of the file, which the lenient reader silently closes, and text
after a closing quote are errors), plus the checks it does not make: every row
has one cell per header column, and no header names a column twice. ``csv``
rather than a validation framework because it is the one parser that reports
both faults at C speed on 100,000 rows; pandas' reader renames a repeated
column (``note.1``) instead of refusing it, and frictionless reads through
``csv`` in Python, many times slower.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..core.files import sha256_bytes
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
        sha256: The sha256 of the bytes read ("" when the file could not be read): what a
            validation stamp vouches for is exactly what was read.
    """

    name: str
    path: Path
    frame: pd.DataFrame | None
    encoding: str = "utf-8"
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sha256: str = ""

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
        # a FIFO, a device or a folder by that name is not read: it would block or never end
        found = "no such file" if not path.exists() else "something that is not a regular file"
        table.problems.append(Problem(where, None, None, found,
                                      f"a CSV file with {expected_header}", "missing-file"))
        return table
    raw = path.read_bytes()
    table.sha256 = sha256_bytes(raw)
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
    records = Records(text, where)
    del raw, text   # the records hold the text while they are read, and no longer
    rows = iter(records)
    first = next(rows, None)
    if first is None:
        table.problems += [records.problem] if records.problem else []
        return table
    header = [h.strip() for h in first]
    repeated = duplicate_columns(header, where)
    if repeated:
        table.problems += repeated
        return table
    # cell by cell into columns: a list of rows beside the frame would double what is held
    columns: list[list[str]] = [[] for _ in header]
    index = []
    for i, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line (Excel leaves them at the end)
        if len(cells) != len(header):
            table.problems.append(row_length_problem(where, i, header, cells))
            continue
        for column, cell in zip(columns, cells, strict=True):
            column.append(cell.strip())
        index.append(i)
    if records.problem is not None:
        # the rows before the fault are typed and checked as usual; the file still fails
        table.problems.append(records.problem)
    frame = pd.DataFrame(dict(zip(header, columns, strict=True)), columns=header, dtype=object)
    del columns
    frame.index = pd.Index(index, name="row")
    table.frame = frame.fillna("").astype(str) if len(frame) else frame
    return table


class Records:
    """The records of CSV text, read strictly; iterate once.

    Attributes:
        problem: After iterating, the syntax fault that stopped the reading (the records
            before it were yielded), as a Problem naming its row (the record's spreadsheet
            row, the header being row 1), column and line; None when the text was read whole.
    """

    def __init__(self, text: str, where: str):
        self.text, self.where = text, where
        self.problem: Problem | None = None

    def __iter__(self) -> Iterator[list[str]]:
        reader = csv.reader(io.StringIO(self.text, newline=""), strict=True)
        header: list[str] = []
        count, line_before = 0, 0   # records read, and the physical lines they took
        try:
            for cells in reader:
                header = header or [h.strip() for h in cells]
                count, line_before = count + 1, reader.line_num
                yield cells
        except csv.Error as exc:
            self.problem = syntax_problem(self.text, line_before, count + 1, header, self.where, exc)
        self.text = ""   # read: let it go


def syntax_problem(text: str, line_before: int, row: int, header: list[str], where: str,
                   exc: csv.Error) -> Problem:
    """A Problem for a record the strict reader refused, found by rescanning that record."""
    # the lines as the reader saw them (str.splitlines would also split at U+2028 and others)
    lines = io.StringIO(text, newline="").readlines()
    rest = "".join(lines[line_before:])
    cell, open_quote = _scan_record(rest)
    column = header[cell] if cell < len(header) else column_letter(cell)
    line = line_before + 1
    if open_quote:
        found = (f"a quoted cell opened on line {line} that is never closed: the file ends "
                 "inside it (cut short, or a stray \")")
        expected = "every quoted cell closed by a \" (a \" inside a cell is written \"\")"
    else:
        found = f"text after the closing quote of a cell (record starting on line {line}: {exc})"
        expected = "a comma or the end of the line right after a closing \" (a \" inside a quoted cell is written \"\")"
    return Problem(where, row, column, found, expected, "csv-syntax")


def _scan_record(text: str) -> tuple[int, bool]:
    """The cell (0-based) where a record's quoting goes wrong, and whether a quote is left open.

    >>> _scan_record('a,"b\\nc')
    (1, True)
    >>> _scan_record('a,b,"c"d\\n')
    (2, False)
    """
    cell, quoted, i = 0, False, 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
                after = text[i + 1:i + 2]
                if after not in (",", "\r", "\n", ""):
                    return cell, False
        elif ch == '"' and (i == 0 or text[i - 1] in ",\r\n"):
            quoted = True
        elif ch == ",":
            cell += 1
        elif ch in "\r\n":
            return cell, False   # the record ended; the reader's complaint is about this cell
        i += 1
    return cell, quoted


def column_letter(index: int) -> str:
    """The spreadsheet name of a 0-based column index.

    >>> column_letter(0), column_letter(20), column_letter(26)
    ('A', 'U', 'AA')
    """
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(ord("A") + rem) + name
    return name


def duplicate_columns(header: list[str], where: str) -> list[Problem]:
    """A Problem for each column name the header repeats (the table cannot be read then)."""
    problems = []
    for name in dict.fromkeys(header):
        at = [column_letter(i) for i, h in enumerate(header) if h == name]
        if len(at) > 1:
            problems.append(Problem(where, 1, name, f"the column '{name}' {len(at)} times "
                                    f"(spreadsheet columns {', '.join(at)})",
                                    "each column name once (delete or rename the copy)",
                                    "duplicate-column"))
    return problems


def row_length_problem(where: str, row: int, header: list[str], cells: list[str]) -> Problem:
    """A row with more or fewer cells than the header has columns, naming where it goes wrong."""
    expected = (f"{len(header)} cells, one per header column (a comma inside a cell needs "
                "\"quotes\")")
    if len(cells) > len(header):
        extra = cells[len(header):]
        return Problem(where, row, column_letter(len(header)),
                       f"{len(cells)} cells (extra: {extra!r}, past the last column "
                       f"'{header[-1]}')", expected, "row-length")
    return Problem(where, row, header[len(cells)],
                   f"{len(cells)} cells: the row ends before column '{header[len(cells)]}'",
                   expected, "row-length")
