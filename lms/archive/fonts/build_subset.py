"""Build the CJK font the PDFs embed (a developer tool, never imported at run
time; needs ``pip install fonttools``).

Input: an OpenType/CFF Noto Sans SC (or Noto Sans CJK SC) file, e.g. the
``NotoSansSC-Regular.otf`` shipped in the PyPI package ``pylopdf-fonts-zh-cn``
(SIL OFL 1.1). Output: a static TrueType (``glyf``) font holding GB2312, ASCII,
Latin-1, the common punctuation and a few form symbols (✓ × □ ■ √ ○ ●), which
ReportLab/xhtml2pdf can embed: ReportLab refuses PostScript (CFF) outlines,
so the cubic curves are converted to quadratic ones with cu2qu.

    python lms/archive/fonts/build_subset.py NotoSansSC-Regular.otf \\
        lms/archive/fonts/AnxunSans-Regular.ttf
    python lms/archive/fonts/build_subset.py --font-number 2 --style Bold \\
        /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \\
        lms/archive/fonts/AnxunSans-Bold.ttf

See docs/decisions/004-cjk-font.md.
"""

from __future__ import annotations

import argparse
import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import DecomposingRecordingPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

# Beyond GB2312: punctuation and symbols a training record or form uses.
EXTRA = (
    "✓×□■√○●◆◇★☆※→←↑↓①②③④⑤⑥⑦⑧⑨⑩"
    "·—–‘’“”…‰′″℃№、。〈〉《》「」『』【】〔〕〖〗～！＂＃＄％＆＇（）＊＋，－．／：；＜＝＞？＠［＼］＾＿｀｛｜｝"
    "\u3000㎡㎏㎞㎜㎝"
)


def gb2312_chars() -> set[str]:
    """Every character GB2312 encodes (6,763 hanzi plus its symbols)."""
    chars = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.add(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def wanted_codepoints() -> list[int]:
    chars = gb2312_chars() | set(EXTRA)
    chars |= {chr(c) for c in range(0x20, 0x7F)}  # ASCII
    chars |= {chr(c) for c in range(0xA0, 0x100)}  # Latin-1 (° ± × ÷ …)
    chars |= {chr(c) for c in range(0x2000, 0x2070)}  # general punctuation
    chars |= {chr(c) for c in range(0x3000, 0x3040)}  # CJK symbols and punctuation
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width forms
    return sorted(ord(c) for c in chars)


def cff_to_glyf(font: TTFont, max_err: float = 1.0) -> None:
    """Replace CFF outlines with quadratic TrueType outlines, in place."""
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in glyph_order:
        rec = DecomposingRecordingPen(glyph_set)
        glyph_set[name].draw(rec)
        tt_pen = TTGlyphPen(None)
        rec.replay(Cu2QuPen(tt_pen, max_err, reverse_direction=True))
        glyphs[name] = tt_pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = glyphs
    for glyph in glyphs.values():
        glyph.recalcBounds(glyf)
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    font["maxp"] = maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    for attr in ("maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                 "maxStackElements", "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = glyph_order
    font.sfntVersion = "\x00\x01\x00\x00"
    font.recalcBBoxes = True  # maxp and head are recomputed from the new glyf on save


def rename(font: TTFont, family: str, style: str) -> None:
    """OFL: a modified font must not keep the Reserved Font Name."""
    ps = family.replace(" ", "") + "-" + style
    names = {1: family, 2: style, 3: f"{ps};subset", 4: f"{family} {style}", 6: ps, 16: family, 17: style}
    table = font["name"]
    for rec in list(table.names):
        if rec.nameID in (1, 2, 3, 4, 6, 16, 17, 18, 21, 22):
            table.removeNames(nameID=rec.nameID)
    for name_id, value in names.items():
        table.setName(value, name_id, 3, 1, 0x409)
        table.setName(value, name_id, 1, 0, 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("output")
    parser.add_argument("--family", default="Anxun Sans")
    parser.add_argument("--style", default="Regular", choices=["Regular", "Bold"])
    parser.add_argument("--font-number", type=int, default=0, help="index inside a .ttc/.otc collection")
    args = parser.parse_args(argv)

    options = subset.Options()
    options.layout_features = ["kern"]  # horizontal text only; locl would pull in JP/KR/TC forms
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.hinting = False
    options.desubroutinize = True
    options.font_number = args.font_number
    font = subset.load_font(args.source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=wanted_codepoints())
    subsetter.subset(font)
    if "CFF " in font:
        cff_to_glyf(font)
    rename(font, args.family, args.style)
    font.save(args.output)
    check = TTFont(args.output)
    cmap = check.getBestCmap()
    missing = [c for c in "安训培训档案三级安全教育卡厂级车间级班组级✓×□" if ord(c) not in cmap]
    print(f"{args.output}: {len(cmap)} characters, glyf={'glyf' in check}, missing={missing}")
    return 1 if missing or "glyf" not in check else 0


if __name__ == "__main__":
    sys.exit(main())
