"""Reading a QR code back from a rendered page (Pillow only, no decoder
library): find the three finder patterns, sample the module grid and
compare it with the matrix segno makes for the expected text. A match of
nearly every module means the page shows that very code, readable."""

from __future__ import annotations

import segno
from PIL import Image


def _runs(values):
    """Run lengths of a sequence of booleans: [(value, start, length), ...]."""
    runs, start = [], 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            runs.append((values[start], start, i - start))
            start = i
    return runs


def _finder_ratio(lengths) -> bool:
    unit = sum(lengths) / 7.0
    if unit < 1.5:
        return False
    expected = (1, 1, 3, 1, 1)
    return all(abs(length - e * unit) <= max(1.0, 0.5 * unit) * e ** 0.5 for length, e in zip(lengths, expected))


def finder_centres(img: Image.Image) -> list[tuple[float, float, float]]:
    """Centres (x, y, module size) of 1:1:3:1:1 patterns found both across and down."""
    gray = img.convert("L")
    w, h = gray.size
    px = gray.load()
    dark = [[px[x, y] < 128 for x in range(w)] for y in range(h)]
    hits = []
    for y in range(0, h, 2):
        runs = _runs(dark[y])
        for k in range(len(runs) - 4):
            group = runs[k:k + 5]
            if not group[0][0] or [r[0] for r in group] != [True, False, True, False, True]:
                continue
            if not _finder_ratio([r[2] for r in group]):
                continue
            cx = group[2][1] + group[2][2] / 2
            col = [dark[yy][int(cx)] for yy in range(h)]
            for v, s, n in _runs(col):
                if v and s <= y < s + n:
                    centre_run = (s, n)
                    break
            vruns = _runs(col)
            idx = next(i for i, r in enumerate(vruns) if r[1] == centre_run[0])
            if idx < 2 or idx + 2 >= len(vruns):
                continue
            vgroup = vruns[idx - 2:idx + 3]
            if [r[0] for r in vgroup] != [True, False, True, False, True] or not _finder_ratio([r[2] for r in vgroup]):
                continue
            cy = centre_run[0] + centre_run[1] / 2
            hits.append((cx, cy, sum(r[2] for r in group) / 7.0))
    clusters: list[list] = []
    for hit in hits:
        for cluster in clusters:
            if abs(cluster[0][0] - hit[0]) < 3 * hit[2] and abs(cluster[0][1] - hit[1]) < 3 * hit[2]:
                cluster.append(hit)
                break
        else:
            clusters.append([hit])
    out = []
    for cluster in clusters:
        if len(cluster) >= 2:
            n = len(cluster)
            out.append((sum(c[0] for c in cluster) / n, sum(c[1] for c in cluster) / n, sum(c[2] for c in cluster) / n))
    return out


def qr_match(img: Image.Image, text: str, *, error: str = "m") -> float:
    """Share of modules of segno's QR for ``text`` that the image shows
    (1.0 = identical). 0.0 when no three finder patterns are found."""
    centres = finder_centres(img)
    if len(centres) < 3:
        return 0.0
    matrix = segno.make(text, error=error, micro=False).matrix
    n = len(matrix)
    best = 0.0
    gray = img.convert("L")
    px = gray.load()
    w, h = gray.size
    # Try every triple as (top-left, top-right, bottom-left): an L with equal arms.
    for tl in centres:
        for tr in centres:
            for bl in centres:
                if len({tl, tr, bl}) < 3 or not (tr[0] > tl[0] and bl[1] > tl[1]):
                    continue
                step_x = ((tr[0] - tl[0]) / (n - 7), (tr[1] - tl[1]) / (n - 7))
                step_y = ((bl[0] - tl[0]) / (n - 7), (bl[1] - tl[1]) / (n - 7))
                same = 0
                for i in range(n):
                    for j in range(n):
                        x = tl[0] + (j - 3) * step_x[0] + (i - 3) * step_y[0]
                        y = tl[1] + (j - 3) * step_x[1] + (i - 3) * step_y[1]
                        if not (0 <= x < w and 0 <= y < h):
                            continue
                        same += (px[int(x), int(y)] < 128) == bool(matrix[i][j])
                best = max(best, same / (n * n))
    return best
