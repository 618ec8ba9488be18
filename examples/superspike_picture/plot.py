#!/usr/bin/env python3
"""plot.py - the figure of examples/superspike_picture.yaml: the target raster beside the
raster the output population emitted in one repetition of the training (by default the last),
so that one can see whether the learned spikes draw the picture.

    hebb spikes out/picture > spikes.tsv
    /usr/bin/python3 examples/superspike_picture/plot.py spikes.tsv -o docs/superspike_picture.png

SPIKES is what `hebb spikes` prints ('population<TAB>index<TAB>time_ms' lines; '-' reads
stdin); lines of populations other than --population are skipped. The target is read from
--target (default: target.tsv beside this script), in the same format as the model's
`target: {file: ...}` ('index<TAB>time_ms' or 'population<TAB>index<TAB>time_ms', '#'
comments). Repetition k covers [k T, (k + 1) T) of the run, T = --period.
"""
import argparse
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_spikes(f, population):
    """(index, time) pairs of the lines of POPULATION (or of 2-field lines)."""
    out = []
    for lineno, line in enumerate(f, 1):
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        if len(fields) == 3:
            if fields[0] != population:
                continue
            fields = fields[1:]
        if len(fields) != 2:
            sys.exit(f"{f.name}:{lineno}: expected 'index<TAB>time_ms' or "
                     f"'population<TAB>index<TAB>time_ms'")
        out.append((int(fields[0]), float(fields[1])))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("spikes", help="output of `hebb spikes DIR` ('-': stdin)")
    ap.add_argument("--target", default=os.path.join(here, "target.tsv"))
    ap.add_argument("--population", default="out")
    ap.add_argument("--period", type=float, default=640.0, help="ms (default 640)")
    ap.add_argument("--size", type=int, default=48, help="neurons (default 48)")
    ap.add_argument("--repetition", type=int, default=-1,
                    help="which repetition to show (default: the last one with a spike)")
    ap.add_argument("-o", "--output", default="superspike_picture.png")
    a = ap.parse_args()

    with open(a.target) as f:
        target = read_spikes(f, a.population)
    if a.spikes == "-":
        run = read_spikes(sys.stdin, a.population)
    else:
        with open(a.spikes) as f:
            run = read_spikes(f, a.population)
    if not run:
        sys.exit(f"{a.spikes}: no spikes of population '{a.population}'")
    rep = a.repetition if a.repetition >= 0 else int(max(t for _, t in run) // a.period)
    t0 = rep * a.period
    shown = [(i, t - t0) for i, t in run if t0 <= t < t0 + a.period]

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2), sharey=True)
    for ax, spikes, title in ((axes[0], target, "target"),
                              (axes[1], shown, f"learned: repetition {rep + 1}")):
        ax.scatter([t for _, t in spikes], [i for i, _ in spikes], s=2.5, c="k",
                   marker="s", linewidths=0)
        ax.set_xlim(0, a.period)
        ax.set_ylim(-0.5, a.size - 0.5)
        ax.set_xlabel("time in the repetition (ms)")
        ax.set_title(f"{title} ({len(spikes)} spikes)", fontsize=10)
    axes[0].set_ylabel("output neuron")
    fig.tight_layout()
    fig.savefig(a.output, dpi=90)


if __name__ == "__main__":
    main()
