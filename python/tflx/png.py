"""Tiny PNG charts with numpy and zlib only: a canvas, a 5x7 bitmap font, horizontal bar charts.

The HTML report embeds these as base64 so it is one self-contained file; no plotting library is
needed (none is installed with tflx).
"""
from __future__ import annotations

import struct
import zlib

import numpy as np

# 5x7 glyphs, one string per row, '#' = ink. Lowercase letters with descenders sit one row high.
_GLYPHS = {
    "A": ".###. #...# #...# ##### #...# #...# #...#", "B": "####. #...# #...# ####. #...# #...# ####.",
    "C": ".###. #...# #.... #.... #.... #...# .###.", "D": "####. #...# #...# #...# #...# #...# ####.",
    "E": "##### #.... #.... ####. #.... #.... #####", "F": "##### #.... #.... ####. #.... #.... #....",
    "G": ".###. #...# #.... #.### #...# #...# .####", "H": "#...# #...# #...# ##### #...# #...# #...#",
    "I": ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.", "J": "..### ...#. ...#. ...#. ...#. #..#. .##..",
    "K": "#...# #..#. #.#.. ##... #.#.. #..#. #...#", "L": "#.... #.... #.... #.... #.... #.... #####",
    "M": "#...# ##.## #.#.# #.#.# #...# #...# #...#", "N": "#...# #...# ##..# #.#.# #..## #...# #...#",
    "O": ".###. #...# #...# #...# #...# #...# .###.", "P": "####. #...# #...# ####. #.... #.... #....",
    "Q": ".###. #...# #...# #...# #.#.# #..#. .##.#", "R": "####. #...# #...# ####. #.#.. #..#. #...#",
    "S": ".#### #.... #.... .###. ....# ....# ####.", "T": "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "U": "#...# #...# #...# #...# #...# #...# .###.", "V": "#...# #...# #...# #...# #...# .#.#. ..#..",
    "W": "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.", "X": "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
    "Y": "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..", "Z": "##### ....# ...#. ..#.. .#... #.... #####",
    "a": "..... ..... .###. ....# .#### #...# .####", "b": "#.... #.... #.##. ##..# #...# #...# ####.",
    "c": "..... ..... .###. #.... #.... #...# .###.", "d": "....# ....# .##.# #..## #...# #...# .####",
    "e": "..... ..... .###. #...# ##### #.... .###.", "f": "..##. .#..# .#... ###.. .#... .#... .#...",
    "g": "..... .#### #...# #...# .#### ....# .###.", "h": "#.... #.... #.##. ##..# #...# #...# #...#",
    "i": "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.", "j": "...#. ..... ..##. ...#. ...#. #..#. .##..",
    "k": "#.... #.... #..#. #.#.. ##... #.#.. #..#.", "l": ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
    "m": "..... ..... ##.#. #.#.# #.#.# #...# #...#", "n": "..... ..... #.##. ##..# #...# #...# #...#",
    "o": "..... ..... .###. #...# #...# #...# .###.", "p": "..... ####. #...# #...# ####. #.... #....",
    "q": "..... .#### #...# #...# .#### ....# ....#", "r": "..... ..... #.##. ##..# #.... #.... #....",
    "s": "..... ..... .#### #.... .###. ....# ####.", "t": ".#... .#... ###.. .#... .#... .#..# ..##.",
    "u": "..... ..... #...# #...# #...# #..## .##.#", "v": "..... ..... #...# #...# #...# .#.#. ..#..",
    "w": "..... ..... #...# #...# #.#.# #.#.# .#.#.", "x": "..... ..... #...# .#.#. ..#.. .#.#. #...#",
    "y": "..... #...# #...# #...# .#### ....# .###.", "z": "..... ..... ##### ...#. ..#.. .#... #####",
    "0": ".###. #...# #..## #.#.# ##..# #...# .###.", "1": "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
    "2": ".###. #...# ....# ...#. ..#.. .#... #####", "3": "##### ...#. ..#.. ...#. ....# #...# .###.",
    "4": "...#. ..##. .#.#. #..#. ##### ...#. ...#.", "5": "##### #.... ####. ....# ....# #...# .###.",
    "6": "..##. .#... #.... ####. #...# #...# .###.", "7": "##### ....# ...#. ..#.. .#... .#... .#...",
    "8": ".###. #...# #...# .###. #...# #...# .###.", "9": ".###. #...# #...# .#### ....# ...#. .##..",
    " ": "..... ..... ..... ..... ..... ..... .....", ".": "..... ..... ..... ..... ..... ..... ..#..",
    ",": "..... ..... ..... ..... ..#.. ..#.. .#...", ":": "..... ..#.. ..... ..... ..... ..#.. .....",
    ";": "..... ..#.. ..... ..... ..#.. ..#.. .#...", "_": "..... ..... ..... ..... ..... ..... #####",
    "-": "..... ..... ..... .###. ..... ..... .....", "+": "..... ..#.. ..#.. ##### ..#.. ..#.. .....",
    "/": "....# ....# ...#. ..#.. .#... #.... #....", "\\": "#.... #.... .#... ..#.. ...#. ....# ....#",
    "(": "...#. ..#.. .#... .#... .#... ..#.. ...#.", ")": ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
    "[": ".###. .#... .#... .#... .#... .#... .###.", "]": ".###. ...#. ...#. ...#. ...#. ...#. .###.",
    "{": "...## ..#.. ..#.. .#... ..#.. ..#.. ...##", "}": "##... ..#.. ..#.. ...#. ..#.. ..#.. ##...",
    "'": "..#.. ..#.. ..... ..... ..... ..... .....", '"': ".#.#. .#.#. ..... ..... ..... ..... .....",
    "%": "##... ##..# ...#. ..#.. .#... #..## ...##", "#": ".#.#. .#.#. ##### .#.#. ##### .#.#. .#.#.",
    "=": "..... ..... ##### ..... ##### ..... .....", "<": "...#. ..#.. .#... #.... .#... ..#.. ...#.",
    ">": ".#... ..#.. ...#. ....# ...#. ..#.. .#...", "!": "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
    "?": ".###. #...# ....# ...#. ..#.. ..... ..#..", "*": "..... ..#.. #.#.# .###. #.#.# ..#.. .....",
    "&": ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#", "@": ".###. #...# #.### #.#.# #.### #.... .###.",
    "$": "..#.. .#### #.#.. .###. ..#.# ####. ..#..", "^": "..#.. .#.#. #...# ..... ..... ..... .....",
    "~": "..... ..... .#... #.#.# ...#. ..... .....", "|": "..#.. ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
    "`": ".#... ..#.. ..... ..... ..... ..... .....",
}
_DESCENDERS = set("gpqy")  # drawn one row lower, into the line's spare row
_BOX = "##### #...# #...# #...# #...# #...# #####"
_CACHE: dict[str, np.ndarray] = {}

GLYPH_W, GLYPH_H, ADVANCE = 5, 7, 6


def _glyph(ch: str) -> np.ndarray:
    g = _CACHE.get(ch)
    if g is None:
        rows = _GLYPHS.get(ch, _BOX).split()
        g = np.array([[c == "#" for c in row] for row in rows], dtype=bool)
        _CACHE[ch] = g
    return g


def text_width(text: str, scale: int = 1) -> int:
    return len(text) * ADVANCE * scale


class Canvas:
    def __init__(self, width: int, height: int, background=(255, 255, 255)):
        self.w, self.h = int(width), int(height)
        self.px = np.empty((self.h, self.w, 3), np.uint8)
        self.px[:] = background

    def rect(self, x0, y0, x1, y1, color) -> None:
        x0, x1 = max(0, int(x0)), min(self.w, int(x1))
        y0, y1 = max(0, int(y0)), min(self.h, int(y1))
        if x1 > x0 and y1 > y0:
            self.px[y0:y1, x0:x1] = color

    def text(self, x, y, text: str, color=(0, 0, 0), scale: int = 1) -> None:
        """Draw `text` with its top-left corner at (x, y)."""
        x, y = int(x), int(y)
        for ch in text:
            g = _glyph(ch)
            if scale > 1:
                g = np.kron(g, np.ones((scale, scale), dtype=bool))
            gh, gw = g.shape
            if x >= self.w:
                break
            y0 = y
            y = y + scale if ch in _DESCENDERS else y
            ys, xs = slice(max(0, y), min(self.h, y + gh)), slice(max(0, x), min(self.w, x + gw))
            sub = g[ys.start - y:ys.stop - y, xs.start - x:xs.stop - x]
            if sub.size:
                self.px[ys, xs][sub] = color
            x += ADVANCE * scale
            y = y0

    def png(self) -> bytes:
        return encode_png(self.px)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def encode_png(rgb: np.ndarray) -> bytes:
    """An 8-bit RGB PNG of an (h, w, 3) uint8 array (no filtering; zlib does the work)."""
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w, _ = rgb.shape
    raw = np.zeros((h, 1 + 3 * w), np.uint8)  # each scanline: filter type 0, then the pixels
    raw[:, 1:] = rgb.reshape(h, 3 * w)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + _chunk(b"IEND", b""))


PALETTE = [(66, 133, 244), (52, 168, 83), (251, 188, 5), (234, 67, 53), (155, 89, 182), (0, 172, 193),
           (255, 112, 67), (124, 179, 66)]
GRID = (225, 225, 225)
INK = (33, 33, 33)
MUTED = (110, 110, 110)


def _fmt(v: float) -> str:
    if v == int(v) and abs(v) < 1e9:
        return str(int(v))
    if v != 0 and (abs(v) < 1e-2 or abs(v) >= 1e5):
        return f"{v:.2e}"
    return f"{v:.3g}"


def bar_chart(title: str, items: list[tuple[str, float]], *, width: int = 720, scale: int = 2,
              color=PALETTE[0], colors: list | None = None, unit: str = "", log: bool = False,
              max_label: int = 34, fmt=_fmt) -> bytes:
    """A horizontal bar chart: one labelled bar per (label, value), value printed at the bar's end."""
    s = scale
    line_h = (GLYPH_H + 5) * s
    labels = [(lb if len(lb) <= max_label else lb[:max_label - 2] + "..") for lb, _ in items]
    label_w = max([text_width(lb, s) for lb in labels] + [text_width("x", s)]) + 6 * s
    top = (GLYPH_H + 8) * s
    height = top + max(1, len(items)) * line_h + 6 * s
    c = Canvas(width, height)
    c.text(4 * s, 3 * s, title, INK, s)
    values = [float(v) for _, v in items]
    if log:
        floor = min([v for v in values if v > 0] + [1.0]) / 10
        shown = [np.log10(max(v, floor) / floor) for v in values]
    else:
        shown = [max(v, 0.0) for v in values]
    vmax = max(shown + [1e-12])
    value_w = max([text_width(fmt(v) + unit, s) for v in values] + [0]) + 6 * s
    bar_x0 = 4 * s + label_w
    bar_span = max(20, width - bar_x0 - value_w - 4 * s)
    for i, ((label, value), shown_v, lb) in enumerate(zip(items, shown, labels)):
        y = top + i * line_h
        if i % 2 == 0:
            c.rect(0, y - s, width, y + line_h - s, (248, 248, 248))
        c.text(4 * s, y + 2 * s, lb, INK, s)
        length = int(round(bar_span * shown_v / vmax)) if vmax > 0 else 0
        col = colors[i % len(colors)] if colors else color
        c.rect(bar_x0, y + s, bar_x0 + max(length, 1 if value > 0 else 0), y + line_h - 3 * s, col)
        c.text(bar_x0 + length + 4 * s, y + 2 * s, fmt(value) + unit, MUTED, s)
    c.rect(bar_x0 - 1, top - 2 * s, bar_x0, height - 4 * s, GRID)
    return c.png()


def decode_png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR; raises ValueError if `data` is not a PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    return struct.unpack(">II", data[16:24])
