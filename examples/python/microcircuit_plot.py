#!/usr/bin/python3
"""Figures of a microcircuit run: a raster of every population and a box plot of the neurons' rates.

usage: microcircuit_plot.py PREFIX TRANSIENT_MS DURATION_MS

Reads PREFIX_spikes.txt (population, neuron, step per spike, recorded after
the transient) and PREFIX_sizes.txt (neurons per population) that
`microcircuit --plot PREFIX` writes; writes PREFIX_raster.png (a 200 ms
window after the transient, every 1 in `stride` neurons, layers from top to
bottom as in Potjans & Diesmann's figure) and PREFIX_rates.png.
"""
import sys

import numpy as np
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

NAMES = ["L2/3E", "L2/3I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
DT = 0.1  # [ms]


def main():
    prefix, transient, duration = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    data = np.loadtxt(prefix + "_spikes.txt", dtype=np.int64, ndmin=2)
    sizes = np.loadtxt(prefix + "_sizes.txt", dtype=np.int64, ndmin=1)
    pop, neuron, step = (data[:, 0], data[:, 1], data[:, 2]) if data.size else (np.zeros(0, int),) * 3
    times = step * DT

    # Raster: 200 ms after the transient, at most ~2000 neurons drawn in all.
    start, stop = transient, min(duration, transient + 200.0)
    stride = max(1, int(sizes.sum() // 2000))
    fig, ax = plt.subplots(figsize=(7, 6))
    offset, ticks = 0, []
    colors = ["#595289", "#af143c"]
    for p in range(len(sizes)):
        shown = (sizes[p] + stride - 1) // stride
        sel = (pop == p) & (times >= start) & (times < stop) & (neuron % stride == 0)
        y = -(offset + neuron[sel] // stride)
        ax.plot(times[sel], y, ".", ms=1.5, color=colors[p % 2])
        ticks.append(-(offset + shown / 2))
        offset += shown
    ax.set_yticks(ticks)
    ax.set_yticklabels(NAMES[: len(sizes)])
    ax.set_xlabel("time [ms]")
    ax.set_xlim(start, stop)
    ax.set_title("spikes (every %d%s neuron)" % (stride, "st" if stride == 1 else "th"))
    fig.tight_layout()
    fig.savefig(prefix + "_raster.png", dpi=120)

    # Box plot of the rates of every neuron, per population.
    window = (duration - transient) * 1e-3
    rates = []
    for p in range(len(sizes)):
        counts = np.bincount(neuron[pop == p], minlength=sizes[p])
        rates.append(counts / window)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.boxplot(rates[::-1], vert=False, labels=NAMES[: len(sizes)][::-1], showfliers=False)
    ax.set_xlabel("rate [Hz]")
    ax.set_title("rates of the neurons, %g ms after a transient of %g ms" % (duration - transient, transient))
    fig.tight_layout()
    fig.savefig(prefix + "_rates.png", dpi=120)
    print("wrote %s_raster.png and %s_rates.png" % (prefix, prefix))


if __name__ == "__main__":
    main()
