#!/usr/bin/env python3
"""make_target.py - the target of examples/superspike_picture.yaml: the word HEBB as a
black-and-white picture, turned into target spike trains the way Zenke & Ganguli (2018) turn
the Radcliffe Camera into theirs (MODELS.md 2.10): each dark pixel in row n (0 at the top)
and column c gives one spike of output neuron ROWS - 1 - n at c * 10 ms + U(0, 10] ms, so
that a raster of the output (time across, neuron index up) shows the picture.

    /usr/bin/python3 examples/superspike_picture/make_target.py > target.tsv

writes the file committed beside this script: one 'index<TAB>time_ms' line per spike (the
format of `target: {file: ...}` and of `hebb vanrossum --target`), times on the 0.1 ms grid.
The picture is drawn here, so it needs nothing but numpy; the draw is seeded, so the output
is the same every time. --show prints the picture as text instead.
"""
import sys

import numpy as np

ROWS, COLS = 48, 64  # output neurons, 10 ms columns: a 640 ms period
COLUMN_MS = 10.0
DT_MS = 0.1  # the model's step: target times are put on its grid
SEED = 2018


def letter(ch):
    """A 40 x 12 letter with strokes two pixels wide (True = dark)."""
    a = np.zeros((40, 12), dtype=bool)
    a[:, 0:2] = True  # every letter here has a left stem
    if ch == "H":
        a[:, 10:12] = True
        a[19:21, 2:10] = True
    elif ch == "E":
        a[0:2, 2:12] = True
        a[19:21, 2:10] = True
        a[38:40, 2:12] = True
    elif ch == "B":
        for r in (0, 19, 38):
            a[r:r + 2, 2:10] = True
        a[2:19, 10:12] = True  # the two bowls, corners cut
        a[21:38, 10:12] = True
    else:
        raise ValueError(ch)
    return a


def picture(word="HEBB"):
    img = np.zeros((ROWS, COLS), dtype=bool)
    for k, ch in enumerate(word):
        c0 = 2 + 16 * k  # 2 columns of margin, letters 12 wide with gaps of 4
        img[4:44, c0:c0 + 12] = letter(ch)
    return img


def main():
    img = picture()
    if "--show" in sys.argv[1:]:
        for row in img:
            print("".join("#" if x else "." for x in row))
        return
    rng = np.random.default_rng(SEED)
    rows, cols = np.nonzero(img)
    # U(0, 10] ms on the grid: 1 to 100 steps of 0.1 ms into the column
    steps = rng.integers(1, int(round(COLUMN_MS / DT_MS)) + 1, size=rows.size)
    t = cols * COLUMN_MS + steps * DT_MS
    neuron = ROWS - 1 - rows
    order = np.lexsort((t, neuron))
    print("# target of examples/superspike_picture.yaml, made by make_target.py: the word HEBB,")
    print(f"# {ROWS} rows x {COLS} columns of {COLUMN_MS:g} ms (period {COLS * COLUMN_MS:g} ms), "
          f"{rows.size} dark pixels")
    print("# index\ttime_ms")
    for i in order:
        print(f"{neuron[i]}\t{t[i]:.1f}")


if __name__ == "__main__":
    main()
