#!/usr/bin/python3
"""The figure of examples/einet_states.cpp: the continued, the loaded and the adaptive network.

    /usr/bin/python3 examples/python/einet_states.py einet_states.npz einet_states.png
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

data = np.load(sys.argv[1], allow_pickle=False)
dt = float(data["dt"][0])
shown = 200
runs = [("reference", "never stopped"), ("loaded", "loaded into a fresh network (verbose)"),
        ("adaptive", "loaded with .strict = false into adaptive E neurons")]
fig, axes = plt.subplots(len(runs) + 1, 1, figsize=(8, 8), sharex=False,
                         gridspec_kw={"height_ratios": [1, 1, 1, 0.8]})
fig.suptitle("EINet: save_states / load_states and the missing-variable report (spikeweave)")
for ax, (key, title), color in zip(axes, runs, ["tab:blue", "tab:orange", "tab:purple"]):
    t = data[f"{key}/steps"] * dt
    i = data[f"{key}/indices"]
    keep = i < shown
    ax.plot(t[keep], i[keep], ".", ms=1.5, color=color)
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("E neuron")
axes[2].set_xlabel("t [ms]")
axes[-1].set_axis_off()
axes[-1].text(0, 1, "missing from the file (kept their values):\n" + str(data["missing"]), va="top",
              family="monospace", fontsize=8, transform=axes[-1].transAxes)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
print(f"wrote {sys.argv[2]}")
