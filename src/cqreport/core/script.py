"""Scripts in text: traditional characters folded to simplified; Chinese and English words.

Shared by the extractor (which reads a release in simplified script) and the validator
(which reads the place words of a quote the same way, whatever script it was stored in, and
checks that a label or note meant for one report language holds no word of the other).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

# Han (basic, extension A, compatibility), kana, CJK punctuation and full-width forms: any of
# them in an English label or note would print as Chinese (or as a full-width bracket) in the
# en report
CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]")
# a run this long is an English word, not an abbreviation such as NEV, TV, AI or M2
LATIN_WORD = re.compile(r"[A-Za-z]{4,}")
# what a text cites in the other language stands between these (“各项”, “exceeded”)
QUOTED = re.compile(r"“[^“”]*”")


@lru_cache(maxsize=1)
def _t2s_table() -> dict[int, str]:
    """Traditional→simplified, character for character, from OpenCC's own dictionary."""
    import opencc

    table: dict[int, str] = {}
    path = Path(opencc.__file__).parent / "dictionary" / "TSCharacters.txt"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        lines = []
    for line in lines:
        trad, _, simp = line.partition("\t")
        simp = simp.split(" ")[0]
        if len(trad) == 1 and len(simp) == 1 and trad != simp:
            table[ord(trad)] = simp
    if not table:  # dictionary not where expected: ask the converter char by char
        conv = opencc.OpenCC("t2s")
        for code in range(0x4E00, 0xA000):
            ch = chr(code)
            out = conv.convert(ch)
            if len(out) == 1 and out != ch:
                table[code] = out
    return table


def to_simplified(text: str) -> str:
    """Fold traditional characters to simplified, one for one (offsets are kept).

    >>> to_simplified("貸款餘額達6.54萬億元")
    '贷款余额达6.54万亿元'
    """
    return text.translate(_t2s_table())


def unquoted(text: str) -> str:
    """The text with what it cites between quotation marks (“…”) blanked out, offsets kept.

    A note may cite words of the other language (“各项”, “exceeded”); what it says in its own
    words is what the language checks read. An opening mark without its closing one quotes
    nothing, so an unbalanced mark cannot hide the rest of a cell.

    >>> unquoted("Explicitly “各项贷款余额” (all loan types)")
    'Explicitly          (all loan types)'
    """
    return QUOTED.sub(lambda m: " " * len(m.group()), text)
