"""The CJK font: found, registered with matplotlib after seaborn, subset for the page."""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from cqreport.report import fonts

SAMPLE = "重庆人民币贷款余额同比增长陆海新通道赛力斯本地配套率"


def _glyph_warnings(family: list[str], text: str) -> list[str]:
    """Draw text with a font list; return matplotlib's missing-glyph warnings."""
    import matplotlib as mpl
    from matplotlib.figure import Figure

    with mpl.rc_context({"font.family": ["sans-serif"], "font.sans-serif": family}), \
            warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = Figure(figsize=(3, 1))
        fig.text(0.1, 0.5, text)
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "Glyph" in str(w.message)]


def test_the_font_covers_the_report_characters():
    font = fonts.find_cjk_font()
    assert font.path.is_file()
    tt = TTFont(str(font.path), fontNumber=font.index, lazy=True)
    cmap = tt.getBestCmap()
    assert all(ord(c) in cmap for c in SAMPLE), "font lacks common Chinese characters"


def test_bundled_font_is_the_pip_package_noto_sans_sc():
    import pylopdf_fonts_zh_cn

    font = fonts.bundled_font()
    assert font.path == Path(pylopdf_fonts_zh_cn.sans_path())
    assert font.family == "Noto Sans SC"
    assert font.origin == "bundled"


def test_a_system_font_is_preferred_when_present(tmp_path):
    # A folder laid out like a system font folder, holding a Noto Sans SC file.
    target = tmp_path / "opentype" / "noto" / "NotoSansSC-Regular.otf"
    target.parent.mkdir(parents=True)
    shutil.copyfile(fonts.bundled_font().path, target)
    found = fonts.find_system_font([tmp_path])
    assert found is not None
    assert found.path == target
    assert found.origin == "system"
    assert found.family == "Noto Sans SC"


def test_no_system_font_in_an_empty_folder(tmp_path):
    assert fonts.find_system_font([tmp_path]) is None


def test_chinese_draws_without_missing_glyphs_after_seaborn_theme():
    import matplotlib as mpl
    import seaborn as sns

    from cqreport.report import charts

    family = charts.setup()
    assert mpl.rcParams["font.sans-serif"][0] == family
    assert _glyph_warnings(mpl.rcParams["font.sans-serif"], SAMPLE) == []
    # seaborn's theme resets the font list: that is why the font is set after it
    sns.set_theme()
    assert mpl.rcParams["font.sans-serif"][0] != family
    charts.setup()


def test_without_the_cjk_font_matplotlib_warns():
    # The control for the test above: DejaVu alone has no Chinese glyphs.
    assert _glyph_warnings(["DejaVu Sans"], SAMPLE)


def test_subset_keeps_the_text_and_is_small():
    data = fonts.subset_font(SAMPLE)
    tt = TTFont(io.BytesIO(data))
    cmap = tt.getBestCmap()
    assert all(ord(c) in cmap for c in SAMPLE + "0123456789%")
    assert ord("鑫") not in cmap  # not in the text: left out
    assert len(data) < fonts.find_cjk_font().path.stat().st_size / 20


def test_fonttools_fallback_gives_the_same_coverage():
    font = fonts.find_cjk_font()
    data = fonts._fonttools_subset(font, {ord(c) for c in SAMPLE})
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(c) in cmap for c in SAMPLE)


def test_css_font_face_embeds_the_font_and_fetches_nothing():
    css = fonts.css_font_face(SAMPLE)
    assert css.startswith("@font-face")
    assert f'font-family: "{fonts.CSS_FAMILY}"' in css
    assert "url(\"data:font/" in css
    assert "http" not in css


@pytest.mark.parametrize("head,expected", [(b"OTTO", "opentype"), (b"\x00\x01\x00\x00", "truetype")])
def test_font_mime(head, expected):
    assert fonts.font_mime(head + b"rest")[1] == expected
