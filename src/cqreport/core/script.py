"""Chinese script: traditional characters folded to simplified, one for one.

Shared by the extractor (which reads a release in simplified script) and the validator
(which reads the place words of a quote the same way, whatever script it was stored in).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


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
