"""Read a release: decode its bytes, fold traditional characters, split off its header.

Offsets are kept: every transformation here maps one character to one
character, so a position in the working text is a position in the text as
decoded, and quotes can be cut from the original.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

from ..core.numbers import normalize_digits
from ..core.script import to_simplified
from ..errors import ExtractError

_HEADER_RE = re.compile(r"^(source|title|date):[ \t]*(.*)$")
_ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CJK_RE = re.compile(r"[\u4e00-\u9fff]")
# Sentence-final punctuation: a line ending in one of these ends its paragraph.
_FINAL = "。！？!?”\"』」)）】"


@dataclass
class Release:
    """A release as the extractor reads it.

    Attributes:
        original: The decoded text, as it will be quoted.
        text: The working text: simplified characters, ASCII digits, same length as original.
        body_start: Offset of the first character after the header lines.
        header: The ``source:``, ``title:`` and ``date:`` values, where present.
        encoding: The encoding the bytes were read with.
        lang: "zh" or "en".
        path: Where it was read from, if a file.
    """

    original: str
    text: str
    body_start: int = 0
    header: dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    lang: str = "zh"
    path: Path | None = None

    @property
    def header_date(self) -> date | None:
        """The date on the ``date:`` header line, if any."""
        m = _ISO_DATE_RE.search(self.header.get("date", ""))
        return date(int(m[1]), int(m[2]), int(m[3])) if m else None


def decode(raw: bytes, where: str = "<bytes>", encoding: str | None = None) -> tuple[str, str]:
    """Decode a release's bytes: UTF-8 (with or without BOM), else GB18030 or Big5.

    Args:
        raw: The file's bytes.
        where: Name used in the error message.
        encoding: Force this encoding instead of guessing.

    Returns:
        (text, encoding used).

    Raises:
        ExtractError: If no supported encoding decodes the bytes.

    >>> decode("重庆".encode("gb18030"))
    ('重庆', 'gb18030')
    >>> decode("重慶".encode("big5"))
    ('重慶', 'big5')
    """
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ExtractError(f"{where}: cannot decode as {encoding} ({exc}); "
                               "expected UTF-8, GB18030 or Big5 text") from exc
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    decoded = {}
    for enc in ("gb18030", "big5"):
        try:
            decoded[enc] = raw.decode(enc)
        except UnicodeDecodeError:
            continue
    if not decoded:
        raise ExtractError(f"{where}: found bytes that are neither UTF-8, GB18030 nor Big5; "
                           "expected a plain-text release in one of those encodings")
    if len(decoded) == 1:
        enc, text = next(iter(decoded.items()))
        return text, enc
    # Both decode: take the reading with more common CJK characters.
    enc = max(decoded, key=lambda e: (_common_score(decoded[e]), e == "gb18030"))
    return decoded[enc], enc


def _common_score(text: str) -> int:
    common = _common_chars()
    return sum(1 for ch in text if ch in common)


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    # Characters a finance release is full of, in both scripts.
    return frozenset(
        "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过"
        "子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体"
        "制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内"
        "数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提"
        "直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计"
        "别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府研质变元亿万贷款融资银行金融企业"
        "億萬貸款融資銀行金額業務們這說為國會發對經動問過間點"
    )


def detect_language(text: str) -> str:
    """"zh" if the text has a fair share of CJK characters, else "en".

    >>> detect_language("Chongqing exported 334,000 units"), detect_language("重庆出口汽车61.4万辆")
    ('en', 'zh')
    """
    sample = text[:4000]
    cjk = len(_CJK_RE.findall(sample))
    letters = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
    return "zh" if cjk * 3 >= letters else "en"


def split_header(text: str) -> tuple[int, dict[str, str]]:
    """Find the ``source:``/``title:``/``date:`` lines a stored release starts with.

    Returns:
        (offset of the body, the header values).
    """
    header: dict[str, str] = {}
    pos = 0
    for line in text.splitlines(keepends=True):
        stripped = line.strip()
        m = _HEADER_RE.match(stripped)
        if m and not header.get(m[1]):
            header[m[1]] = m[2]
            pos += len(line)
        elif not stripped and not header:
            pos += len(line)
        else:
            break
    return (pos if header else 0), header


def read_release_text(original: str, lang: str | None = None, path: Path | None = None,
                      encoding: str = "utf-8") -> Release:
    """Prepare decoded text for extraction (see ``Release``)."""
    body_start, header = split_header(original)
    text = normalize_digits(to_simplified(original))
    lang = lang or detect_language(text[body_start:])
    return Release(original, text, body_start, header, encoding, lang, path)


#: The largest release read: a year's bulletin is a few hundred kilobytes of text (the
#: largest stored source is 12 KB); anything bigger is the wrong file, and reading it whole
#: (/dev/zero, a disk image) would only end in a MemoryError.
MAX_RELEASE_BYTES = 8 << 20


def read_text_file(path: Path, what: str, limit: int = MAX_RELEASE_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes, read without ever blocking.

    The file is opened non-blocking and checked on the open descriptor (no race with a
    file swapped in between): a FIFO, a socket, a device or a folder is refused at once
    instead of waiting for a writer or reading forever, and at most ``limit + 1`` bytes
    are read, so a file that grows while being read is refused too.

    Raises:
        ExtractError: Naming the file, what it is and what was expected.
    """
    expected = f"expected a plain-text file of at most {limit >> 20} MB"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise ExtractError(f"{path}: cannot read {what} ({exc.strerror}); {expected}") from exc
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)"
                    if stat.S_ISFIFO(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
                    or stat.S_ISBLK(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                    else "not a regular file")
            raise ExtractError(f"{path}: {what} is {kind}; {expected}")
        if st.st_size > limit:
            raise ExtractError(f"{path}: {what} is {st.st_size / (1 << 20):,.0f} MB; {expected} "
                               "(is it the right file?)")
        try:
            raw = fh.read(limit + 1)
        except OSError as exc:
            raise ExtractError(f"{path}: cannot read {what} ({exc.strerror}); {expected}") from exc
    if len(raw) > limit:
        raise ExtractError(f"{path}: {what} grew past {limit >> 20} MB while being read; {expected}")
    return raw


def read_release(path: str | Path, encoding: str | None = None, lang: str | None = None) -> Release:
    """Read a release file.

    Raises:
        ExtractError: If the file is missing, empty, in an unsupported encoding, not a
            regular file (a FIFO, a device) or larger than :data:`MAX_RELEASE_BYTES`.
    """
    p = Path(path)
    raw = read_text_file(p, "the release")
    text, enc = decode(raw, str(p), encoding)
    if not text.strip():
        raise ExtractError(f"{p}: the file is empty; expected the text of a release")
    if "\x00" in text:
        raise ExtractError(f"{p}: found NUL bytes (a binary file?); expected plain text")
    return read_release_text(text, lang, p, enc)


@dataclass(frozen=True)
class Block:
    """A paragraph of the body: lines joined where a page break cut a sentence."""

    start: int
    end: int


def paragraphs(release: Release) -> list[Block]:
    """Split the body into paragraphs, mending lines a page break cut in two.

    A line that does not end a sentence and holds clause punctuation (so it is
    not a heading) runs on into the next non-empty line.
    """
    text = release.text
    blocks: list[Block] = []
    start = None
    pos = release.body_start
    for line in text[release.body_start:].splitlines(keepends=True):
        s = line.strip()
        line_start, pos = pos, pos + len(line)
        if not s:
            continue
        if start is None:
            start = line_start
        runs_on = (s[-1] not in _FINAL and any(c in s for c in "，,；;、")
                   and release.lang == "zh")
        if not runs_on:
            blocks.append(Block(start, line_start + len(line.rstrip())))
            start = None
    if start is not None:
        blocks.append(Block(start, len(text.rstrip())))
    return blocks


# Pinyin a mirror inserted after characters (各項(xiàng)貸款): noise, not words.
_PINYIN_NOISE = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜü]{1,8}[)）]")


def clean(text: str) -> str:
    """Drop a mirror's pinyin glosses so that 各项(xiàng)贷款 reads 各项贷款.

    >>> clean("人民幣各項(xiàng)貸款")
    '人民幣各項貸款'
    """
    return _PINYIN_NOISE.sub("", text)
