#!/usr/bin/python3
"""Prints what a spikeweave state file (.npz or .h5) holds and plots it.

    /usr/bin/python3 examples/python/inspect_state.py state.npz [--out PREFIX]
    /usr/bin/python3 examples/python/inspect_state.py state.h5 [--out PREFIX]

Reads a .npz with numpy alone (no pickle), a .h5 with h5py (Debian:
python3-h5py), prints the metadata (with each element's model name) and every
array (dtype, shape, unit), then writes PREFIX_weights.png (a histogram of `w` of
every projection) and, when the state was saved with `.monitors = true`,
PREFIX_raster.png (the spikes of every spike monitor). Needs Debian's
python3-numpy and python3-matplotlib; without matplotlib it only prints.
"""
import argparse
import json
import sys

import numpy as np


def read_h5(path):
    try:
        import h5py
    except ImportError:
        print(f"{path}: reading .h5 needs h5py (Debian: python3-h5py)")
        sys.exit(77)
    arrays = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                arrays[name] = obj[()]
        f.visititems(visit)
        # The dataset (bytes in h5py) is in every file; newer ones also have the attribute, a str.
        metadata = arrays.pop("metadata", b"")
        metadata = f.attrs.get("metadata", metadata)
    arrays["metadata"] = metadata.decode() if isinstance(metadata, bytes) else str(metadata)
    return {k: (np.asarray(v) if k != "metadata" else v) for k, v in arrays.items()}


def load(path):
    if path.endswith(".h5"):
        arrays = read_h5(path)
    else:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("metadata")))
    if meta.get("format") != "spikeweave-state":
        sys.exit(f"{path}: not a spikeweave state file (format {meta.get('format')!r})")
    return meta, arrays


def model(element):
    """The model's name (files of older versions have only its fingerprint)."""
    if "model_name" in element:
        return f"{element['model_name']} (fingerprint {element['model']})"
    return f"fingerprint {element['model']}"


def unit(meta, key):
    """The unit of array `key` ("populations/E/v") as the metadata states it, "" if it states none."""
    parts = key.split("/", 2)
    if len(parts) < 3:
        return ""
    return meta.get(parts[0], {}).get(parts[1], {}).get("units", {}).get(parts[2], "")


def describe(path, meta, arrays):
    print(f"{path}: {meta['format']} v{meta['version']} written by spikeweave {meta['library']}")
    print(f"  t = {meta['time']:g} ms (step {meta['step']}, dt = {meta['dt']:g} ms), "
          f"seed {meta['seed']}, precision {meta['precision']}")
    for name, p in meta["populations"].items():
        print(f"  population {name}: {p['size']} neurons, model {model(p)}")
    for name, j in meta["projections"].items():
        learning = "learning" if j.get("learning", True) else "learning off"
        print(f"  projection {name}: {j['pre']} -> {j['post']}.{j['target']}, {j['synapses']} synapses, {learning}, "
              f"model {model(j)}")
    for name, m in meta.get("monitors", {}).items():
        print(f"  monitor {name}: {m['kind']} of {m['population']}")
    print(f"  {'entry':<40} {'dtype':<6} {'unit':<8} shape")
    for key, a in arrays.items():
        print(f"  {key:<40} {a.dtype.str:<6} {unit(meta, key):<8} {a.shape}")


def plot(prefix, meta, arrays):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is missing (Debian: python3-matplotlib): no figures")
        return
    weighted = [j for j in meta["projections"] if f"projections/{j}/w" in arrays]
    if weighted:
        fig, axes = plt.subplots(1, len(weighted), figsize=(3.2 * len(weighted), 2.8), squeeze=False)
        for ax, j in zip(axes[0], weighted):
            ax.hist(arrays[f"projections/{j}/w"], bins=50, color="tab:blue")
            ax.set_title(f"{j}: w at t = {meta['time']:g} ms", fontsize=9)
            ax.set_xlabel("w")
        axes[0][0].set_ylabel("synapses")
        fig.tight_layout()
        fig.savefig(f"{prefix}_weights.png", dpi=110)
        print(f"wrote {prefix}_weights.png")
    spiking = [m for m, d in meta.get("monitors", {}).items() if d["kind"] == "spike"]
    if not spiking:
        print("no spike monitor data in the file (save with .monitors = true): no raster")
        return
    fig, axes = plt.subplots(len(spiking), 1, figsize=(7, 2.2 * len(spiking)), squeeze=False, sharex=True)
    for ax, m in zip(axes[:, 0], spiking):
        t = arrays[f"monitors/{m}/steps"] * meta["dt"]
        ax.plot(t, arrays[f"monitors/{m}/indices"], ",k")
        ax.set_ylabel(f"{meta['monitors'][m]['population']} neuron")
        ax.set_title(f"monitor {m}", fontsize=9)
    axes[-1][0].set_xlabel("t [ms]")
    fig.tight_layout()
    fig.savefig(f"{prefix}_raster.png", dpi=110)
    print(f"wrote {prefix}_raster.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("state", help="a .npz file written by network::save")
    parser.add_argument("--out", help="prefix of the PNG files (default: the file name without .npz)")
    args = parser.parse_args()
    meta, arrays = load(args.state)
    describe(args.state, meta, arrays)
    plot(args.out or args.state.removesuffix(".npz"), meta, arrays)


if __name__ == "__main__":
    main()
