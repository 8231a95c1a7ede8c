#!/usr/bin/python3
"""The figure of examples/store_restore.cpp: five rasters and the weight distributions.

    /usr/bin/python3 examples/python/store_restore.py store_restore.npz store_restore.png
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

data = np.load(sys.argv[1], allow_pickle=False)
labels = str(data["labels"]).split("\n")
dt = float(data["dt"][0])
colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
shown = 100  # neurons in the rasters

fig = plt.figure(figsize=(10, 7))
grid = fig.add_gridspec(5, 2, hspace=0.6, wspace=0.2, left=0.07, right=0.98, top=0.92, bottom=0.08)
fig.suptitle("Saving and loading a balanced E/I network with STDP (spikeweave)")
axes = [fig.add_subplot(grid[0:2, 0])] + [fig.add_subplot(grid[k, 1]) for k in range(4)]
for k, (ax, label) in enumerate(zip(axes, labels)):
    t = data[f"run{k}/steps"] * dt
    i = data[f"run{k}/indices"]
    keep = i < shown
    ax.plot(t[keep], i[keep], ".", ms=1.5, color=colors[k])
    ax.set_title(label, fontsize=9)
    ax.set_ylabel("neuron")
axes[-1].set_xlabel("t [ms]")
axes[0].set_xlabel("t [ms]")

weights = fig.add_subplot(grid[3:5, 0])
bins = np.linspace(0.6, 1.4, 81)
for k, label in enumerate(labels):
    weights.hist(data[f"run{k}/weights"], bins=bins, histtype="step", density=True, lw=2, alpha=0.7,
                 color=colors[k], label=label)
weights.set_xlabel("E->E weight w [mV]")
weights.set_ylabel("p(w)")
weights.legend(fontsize=7)
fig.savefig(sys.argv[2], dpi=100)
print(f"wrote {sys.argv[2]}")
