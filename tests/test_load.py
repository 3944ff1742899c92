"""Bad files get clear errors; odd-but-valid encodings are read; nothing is rewritten."""

from pathlib import Path

import pytest

from cqreport.dataset.validate import check_data


def problems_of(data: Path, sources_dir: Path):
    return check_data(data, sources_dir).problems


def obs_file(data: Path) -> Path:
    return data / "observations.csv"


def test_fixture_is_valid(min_data, sources_dir):
    assert problems_of(min_data, sources_dir) == []


def test_utf8_bom_is_accepted(min_data, sources_dir):
    f = obs_file(min_data)
    f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    assert problems_of(min_data, sources_dir) == []


def test_gb18030_as_excel_writes_it_is_decoded_with_a_note(min_data, sources_dir):
    f = obs_file(min_data)
    f.write_bytes(f.read_text(encoding="utf-8").encode("gb18030"))
    result = check_data(min_data, sources_dir)
    assert result.problems == []
    assert any("GB18030" in n and "observations.csv" in n for n in result.notes)


def test_undecodable_bytes_name_the_line(min_data, sources_dir):
    f = obs_file(min_data)
    lines = f.read_bytes().split(b"\n")
    lines[3] = lines[3] + b"\xff\xfe\xff"
    f.write_bytes(b"\n".join(lines))
    (p,) = problems_of(min_data, sources_dir)
    assert p.check == "encoding" and "line 4" in p.found and "UTF-8" in p.expected


def test_thousands_separator_is_refused_with_the_cell(min_data, sources_dir):
    f = obs_file(min_data)
    f.write_text(f.read_text(encoding="utf-8").replace(",2733.8,", ',"2,733.8",'), encoding="utf-8")
    probs = [p for p in problems_of(min_data, sources_dir) if p.column == "value"]
    assert len(probs) == 1
    p = probs[0]
    assert p.row == 5 and "2,733.8" in p.found and "no thousands separators" in p.expected


def test_empty_file(min_data, sources_dir):
    obs_file(min_data).write_bytes(b"")
    (p,) = problems_of(min_data, sources_dir)
    assert p.check == "empty-file" and "metric_id,entity_id" in p.expected


def test_missing_column(min_data, sources_dir):
    f = obs_file(min_data)
    rows = [line.split(",") for line in f.read_text(encoding="utf-8").splitlines()]
    # drop the last column, which is empty in this fixture
    last = rows[0][-1]
    f.write_text("\n".join(",".join(r[:-1]) for r in rows) + "\n", encoding="utf-8")
    probs = problems_of(min_data, sources_dir)
    assert [(p.check, p.column) for p in probs] == [("missing-column", last)]


def test_stray_extra_column(min_data, sources_dir):
    f = obs_file(min_data)
    lines = f.read_text(encoding="utf-8").splitlines()
    f.write_text("\n".join([lines[0] + ",comment"] + [ln + ",x" for ln in lines[1:]]) + "\n",
                 encoding="utf-8")
    probs = problems_of(min_data, sources_dir)
    assert [p.check for p in probs] == ["extra-column"]
    assert probs[0].column == "comment" and probs[0].row == 1


def test_row_with_an_unquoted_comma_names_the_row(min_data, sources_dir):
    f = obs_file(min_data)
    lines = f.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2] + ",extra"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = problems_of(min_data, sources_dir)
    assert p.check == "row-length" and p.row == 3 and "extra" in p.found


def test_missing_file(min_data, sources_dir):
    (min_data / "metrics.csv").unlink()
    probs = problems_of(min_data, sources_dir)
    assert any(p.check == "missing-file" and "metrics.csv" in p.file for p in probs)


@pytest.mark.parametrize("mutation", ["bom", "gb18030", "separator"])
def test_validation_never_rewrites_a_file(min_data, sources_dir, mutation):
    f = obs_file(min_data)
    text = f.read_text(encoding="utf-8")
    raw = {"bom": b"\xef\xbb\xbf" + text.encode(), "gb18030": text.encode("gb18030"),
           "separator": text.replace(",2733.8,", ',"2,733.8",').encode()}[mutation]
    f.write_bytes(raw)
    before = {p.name: p.read_bytes() for p in min_data.iterdir()}
    check_data(min_data, sources_dir)
    assert {p.name: p.read_bytes() for p in min_data.iterdir()} == before


# ------------------------------------------------------------------ strict reading (issue 20)


def _quote_all(path: Path) -> list[str]:
    """Rewrite a CSV with every cell quoted, as a spreadsheet may; return its lines."""
    import csv

    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows(rows)
    return path.read_text(encoding="utf-8").splitlines()


def test_a_file_cut_inside_a_quoted_cell_is_refused_with_row_and_column(min_data, sources_dir):
    import csv

    from cqreport import DataError, load_dataset

    f = obs_file(min_data)
    lines = _quote_all(f)
    last = lines[-1]
    quote = next(csv.DictReader([*lines[:1], last]))["quote"]
    # cut the file inside the last row's quote: what a full disk or a cut download leaves
    cut = last.index(f'"{quote}"') + 1 + len(quote) // 2
    f.write_text("\n".join(lines[:-1]) + "\n" + last[:cut], encoding="utf-8")
    problems = problems_of(min_data, sources_dir)
    (p,) = [p for p in problems if p.check == "csv-syntax"]
    assert (p.row, p.column) == (len(lines), "quote")
    assert "never closed" in p.found and "observations.csv" in p.file
    with pytest.raises(DataError, match="never closed"):
        load_dataset(min_data, sources_dir)


def test_text_after_a_closing_quote_is_refused(min_data, sources_dir):
    f = obs_file(min_data)
    lines = _quote_all(f)
    lines[3] = lines[3].replace('","', '"x,"', 1)     # "loan_balance_rmb"x,"chongqing"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = [p for p in problems_of(min_data, sources_dir) if p.check == "csv-syntax"]
    assert (p.row, p.column) == (4, "metric_id") and "closing quote" in p.found


def test_a_short_row_names_the_first_missing_column(min_data, sources_dir):
    f = obs_file(min_data)
    lines = f.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    lines[2] = ",".join(lines[2].split(",")[:5])
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = problems_of(min_data, sources_dir)
    assert (p.check, p.row, p.column) == ("row-length", 3, header[5])


@pytest.mark.parametrize("command", ["validate", "quarters"])
def test_a_repeated_header_column_is_one_clear_error(min_data, sources_dir, command):
    import subprocess
    import sys

    f = obs_file(min_data)
    lines = f.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    lines[0] = ",".join([*header[:-1], "note"])       # caution renamed: note,note
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (p,) = problems_of(min_data, sources_dir)
    assert (p.check, p.row, p.column) == ("duplicate-column", 1, "note")
    out = subprocess.run([sys.executable, "-m", "cqreport", command, "--data", str(min_data),
                          "--sources", str(sources_dir)], capture_output=True, text=True)
    assert out.returncode == 1 and "Traceback" not in out.stderr + out.stdout
    assert "column 'note' 2 times" in out.stderr + out.stdout
