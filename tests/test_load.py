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
