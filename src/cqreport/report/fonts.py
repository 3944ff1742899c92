"""The CJK font the report draws and prints Chinese with.

One font serves three places, so that a chart, the HTML page and the PDF all
show the same Chinese glyphs on any machine:

- matplotlib: the font file is registered with the font manager explicitly and
  put first in ``font.sans-serif`` (:func:`use_cjk_font`). ``seaborn.set_theme()``
  resets the font settings, so call this after it.
- HTML: :func:`css_font_face` returns an ``@font-face`` rule holding a subset of
  the font (only the characters the page uses) as a data URI, so the page works
  offline and never fetches a font.
- PDF: WeasyPrint reads that same rule and embeds the glyphs it draws.

A system Noto Sans CJK / Source Han Sans font is preferred when present
(Debian: ``fonts-noto-cjk``); otherwise the Noto Sans SC that ships with the
``pylopdf-fonts-zh-cn`` dependency is used, so a plain ``pip install`` is enough.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import functools
import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

#: The CSS family name the report's stylesheet uses for the embedded font.
CSS_FAMILY = "CQ Sans CJK"

# File names of system CJK fonts, best first. Collections (.ttc) hold several
# faces; the Simplified Chinese face is picked by its family name.
_SYSTEM_FILES = (
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Regular.ttf",
    "SourceHanSansSC-Regular.otf",
    "SourceHanSansCN-Regular.otf",
    "NotoSansCJK-Regular.ttc",
    "SourceHanSans-Regular.ttc",
)
_SC_FAMILIES = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC")

# Latin letters, digits and the punctuation the templates use are always kept in
# a subset, so a page still renders if a later edit adds a character.
_ALWAYS_KEEP = "".join(chr(c) for c in range(0x20, 0x7F)) + "，。、；：？！“”‘’（）《》【】—…·％－～"


@dataclass(frozen=True)
class CjkFont:
    """A font file that covers Simplified Chinese.

    Attributes:
        path: The font file (.otf, .ttf or .ttc).
        family: Its family name as the font declares it (Noto Sans SC).
        index: Face index inside a collection (.ttc); 0 for a single font.
        origin: "system" for an installed font, "bundled" for the pip package's.
    """

    path: Path
    family: str
    index: int = 0
    origin: str = "bundled"


def default_search_dirs() -> list[Path]:
    """Folders where system fonts live on Linux, macOS and Windows."""
    home = Path.home()
    dirs = [
        Path("/usr/share/fonts"),
        Path("/usr/local/share/fonts"),
        home / ".local" / "share" / "fonts",
        home / ".fonts",
        Path("/Library/Fonts"),
        home / "Library" / "Fonts",
    ]
    windir = os.environ.get("WINDIR")
    if windir:
        dirs.append(Path(windir) / "Fonts")
    return dirs


def _face_families(path: Path) -> list[str]:
    """Family name of every face in a font file (one entry unless it is a collection)."""
    from fontTools.ttLib import TTCollection, TTFont

    if path.suffix.lower() == ".ttc":
        with TTCollection(str(path), lazy=True) as coll:
            return [_family_of(face) for face in coll.fonts]
    with TTFont(str(path), lazy=True) as font:
        return [_family_of(font)]


def _family_of(font) -> str:
    name = font["name"]
    # typographic family (16) names the whole family; legacy family (1) may add a weight
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


def find_system_font(search_dirs: list[Path] | None = None) -> CjkFont | None:
    """Find an installed Simplified Chinese sans-serif font.

    Args:
        search_dirs: Folders to search (recursively); the usual system folders by default.

    Returns:
        The best match, or None when no known CJK font is installed.
    """
    dirs = [Path(d) for d in (search_dirs if search_dirs is not None else default_search_dirs())]
    found: dict[str, Path] = {}
    for folder in dirs:
        if not folder.is_dir():
            continue
        for name in _SYSTEM_FILES:
            if name in found:
                continue
            hit = next(iter(sorted(folder.rglob(name))), None)
            if hit is not None:
                found[name] = hit
    for name in _SYSTEM_FILES:
        path = found.get(name)
        if path is None:
            continue
        try:
            families = _face_families(path)
        except Exception:  # an unreadable font file is skipped, not fatal
            continue
        for index, family in enumerate(families):
            if family in _SC_FAMILIES:
                return CjkFont(path, family, index, "system")
    return None


def bundled_font() -> CjkFont:
    """Noto Sans SC from the ``pylopdf-fonts-zh-cn`` package (SIL Open Font License)."""
    import pylopdf_fonts_zh_cn

    path = Path(pylopdf_fonts_zh_cn.sans_path())
    return CjkFont(path, _face_families(path)[0], 0, "bundled")


@functools.cache
def find_cjk_font() -> CjkFont:
    """The CJK font the report uses: a system one if installed, else the bundled one.

    Set ``CQREPORT_CJK_FONT`` to a font file to force one.
    """
    forced = os.environ.get("CQREPORT_CJK_FONT")
    if forced:
        path = Path(forced)
        families = _face_families(path)
        index = next((i for i, f in enumerate(families) if f in _SC_FAMILIES), 0)
        return CjkFont(path, families[index], index, "system")
    return find_system_font() or bundled_font()


def register_matplotlib(font: CjkFont | None = None) -> str:
    """Add the font file to matplotlib's font manager and return its family name."""
    from matplotlib import font_manager

    font = font or find_cjk_font()
    font_manager.fontManager.addfont(str(font.path))
    return font.family


def use_cjk_font(font: CjkFont | None = None) -> str:
    """Make matplotlib draw text with the CJK font; call after ``seaborn.set_theme()``.

    DejaVu Sans stays second in the list as a per-glyph fallback for symbols the
    CJK font lacks.

    Returns:
        The family name now first in ``font.sans-serif``.
    """
    import matplotlib as mpl

    family = register_matplotlib(font)
    mpl.rcParams["font.family"] = ["sans-serif"]
    rest = [f for f in mpl.rcParams["font.sans-serif"] if f not in (family, "DejaVu Sans")]
    mpl.rcParams["font.sans-serif"] = [family, "DejaVu Sans", *rest]
    mpl.rcParams["axes.unicode_minus"] = False
    return family


# ---------------------------------------------------------------------------
# Subsetting for the web page and the PDF


def _harfbuzz_subset(font: CjkFont, codepoints: set[int]) -> bytes | None:
    """Subset with libharfbuzz-subset (milliseconds); None if the library is missing."""
    name = ctypes.util.find_library("harfbuzz-subset") or (
        "libharfbuzz-subset.so.0" if sys.platform.startswith("linux") else None
    )
    if not name:
        return None
    try:
        hb = ctypes.CDLL(name)
    except OSError:
        return None
    vp = ctypes.c_void_p
    sigs = {
        "hb_blob_create_from_file_or_fail": (vp, [ctypes.c_char_p]),
        "hb_face_create": (vp, [vp, ctypes.c_uint]),
        "hb_subset_input_create_or_fail": (vp, []),
        "hb_subset_input_unicode_set": (vp, [vp]),
        "hb_set_add": (None, [vp, ctypes.c_uint32]),
        "hb_subset_or_fail": (vp, [vp, vp]),
        "hb_face_reference_blob": (vp, [vp]),
        "hb_blob_get_data": (ctypes.c_void_p, [vp, ctypes.POINTER(ctypes.c_uint)]),
        "hb_blob_destroy": (None, [vp]),
        "hb_face_destroy": (None, [vp]),
        "hb_subset_input_destroy": (None, [vp]),
    }
    try:
        for fn, (res, args) in sigs.items():
            getattr(hb, fn).restype = res
            getattr(hb, fn).argtypes = args
    except AttributeError:
        return None
    blob = hb.hb_blob_create_from_file_or_fail(os.fsencode(font.path))
    if not blob:
        return None
    face = hb.hb_face_create(blob, font.index)
    inp = hb.hb_subset_input_create_or_fail()
    try:
        uset = hb.hb_subset_input_unicode_set(inp)
        for cp in sorted(codepoints):
            hb.hb_set_add(uset, cp)
        sub = hb.hb_subset_or_fail(face, inp)
        if not sub:
            return None
        out = hb.hb_face_reference_blob(sub)
        size = ctypes.c_uint()
        ptr = hb.hb_blob_get_data(out, ctypes.byref(size))
        data = ctypes.string_at(ptr, size.value) if ptr else b""
        hb.hb_blob_destroy(out)
        hb.hb_face_destroy(sub)
        return data or None
    finally:
        hb.hb_subset_input_destroy(inp)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)


def _fonttools_subset(font: CjkFont, codepoints: set[int]) -> bytes:
    """Subset with fontTools: slower (about a second), but needs no system library."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    ttfont = TTFont(str(font.path), fontNumber=font.index)
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints)
    subsetter.subset(ttfont)
    buf = io.BytesIO()
    ttfont.save(buf)
    return buf.getvalue()


def subset_font(text: str, font: CjkFont | None = None) -> bytes:
    """The font cut down to the characters of a text (plus ASCII and common punctuation).

    Args:
        text: Everything the page will show.
        font: The font; :func:`find_cjk_font` by default.

    Returns:
        An OpenType/TrueType font file as bytes.
    """
    font = font or find_cjk_font()
    codepoints = {ord(c) for c in set(text) | set(_ALWAYS_KEEP) if not c.isspace() or c == " "}
    return _harfbuzz_subset(font, codepoints) or _fonttools_subset(font, codepoints)


def font_mime(data: bytes) -> tuple[str, str]:
    """MIME type and CSS format() word of a font file, from its first bytes."""
    if data[:4] == b"OTTO":
        return "font/otf", "opentype"
    return "font/ttf", "truetype"


def css_font_face(text: str, font: CjkFont | None = None, family: str = CSS_FAMILY) -> str:
    """An ``@font-face`` rule embedding the subset font as a data URI.

    The page and WeasyPrint's PDF both read it: the HTML needs no network and no
    installed font, and the PDF embeds exactly these glyphs.

    Args:
        text: Everything the page will show (its visible text is enough).
        font: The font; :func:`find_cjk_font` by default.
        family: CSS family name to declare.
    """
    data = subset_font(text, font)
    mime, fmt = font_mime(data)
    b64 = base64.b64encode(data).decode("ascii")
    return (
        f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 400; '
        f'src: url("data:{mime};base64,{b64}") format("{fmt}"); }}'
    )
