#!/usr/bin/python3
"""Turns a spikeweave monitors .npz (io::save_monitors) into PNG figures.

usage: spikeweave-plot monitors.npz [--out PREFIX] [--max-neurons 200]
   or: /usr/bin/python3 tools/plot_monitors.py monitors.npz ...

(`cmake --install` puts this script in <prefix>/bin as spikeweave-plot.)

Writes PREFIX_<monitor>.png for every monitor: a raster for spike monitors,
the population rate (raw and smoothed over 5 ms) for rate monitors, and one
trace per recorded neuron and variable for state monitors. PREFIX defaults
to the file name without .npz. Needs Debian's python3-numpy and
python3-matplotlib: the first line runs /usr/bin/python3, the interpreter
that sees them (another python3 on the PATH may not).
"""
import argparse
import json
import os
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file")
    parser.add_argument("--out", default=None, help="prefix of the PNG files")
    parser.add_argument("--max-neurons", type=int, default=200, help="raster: at most this many neurons")
    args = parser.parse_args()

    # Imported after the arguments, so that --help works without them.
    try:
        import numpy as np
        import matplotlib
    except ImportError as e:
        sys.exit(f"{parser.prog}: {e}: install Debian's python3-numpy and python3-matplotlib "
                 "(the script runs /usr/bin/python3)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = np.load(args.file, allow_pickle=False)
    meta = json.loads(str(data["metadata"]))
    if meta.get("format") != "spikeweave-monitors":
        sys.exit(f"{args.file}: not a spikeweave monitors file (format {meta.get('format')!r})")
    prefix = args.out or os.path.splitext(args.file)[0]
    written = []
    for name, info in meta["monitors"].items():
        at = f"monitors/{name}/"
        times = data[at + "times"]
        kind = info["kind"]
        fig, ax = plt.subplots(figsize=(8, 3.2), dpi=110)
        if kind == "spike":
            indices = data[at + "indices"]
            keep = indices < args.max_neurons
            ax.plot(times[keep], indices[keep], ".k", markersize=1.5)
            ax.set_ylabel("neuron")
            ax.set_title(f"{name}: spikes of {info['population']} ({len(times)} spikes)")
        elif kind == "rate":
            rates = data[at + "rates"]
            ax.plot(times, rates, color="0.75", linewidth=0.5, label="per step")
            width = max(1, int(round(5.0 / meta["dt"])))
            if len(rates) >= width:
                smooth = np.convolve(rates, np.ones(width) / width, mode="same")
                ax.plot(times, smooth, color="C0", label="5 ms mean")
            ax.set_ylabel("rate [Hz]")
            ax.legend(loc="upper right", fontsize=8)
            ax.set_title(f"{name}: population rate of {info['population']}")
        elif kind == "state":
            neurons = data[at + "neurons"]
            variables = [k[len(at):] for k in data.files if k.startswith(at) and k[len(at):] not in ("times", "neurons")]
            for v in variables:
                values = data[at + v]
                for j, n in enumerate(neurons[:10]):
                    ax.plot(times, values[:, j], linewidth=0.8, label=f"{v}[{n}]")
            ax.set_ylabel(", ".join(variables))
            ax.legend(loc="upper right", fontsize=7, ncol=2)
            ax.set_title(f"{name}: {', '.join(variables)} of {info['population']}")
        else:
            plt.close(fig)
            continue
        ax.set_xlabel("time [ms]")
        fig.tight_layout()
        out = f"{prefix}_{name}.png"
        fig.savefig(out)
        plt.close(fig)
        written.append(out)
    print(f"{parser.prog}: wrote " + ", ".join(written))


if __name__ == "__main__":
    main()
