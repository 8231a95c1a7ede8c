#!/usr/bin/python3
"""Saving and loading 10^7 STDP synapses: Brian2's store/restore vs spikeweave.

Builds the state_io network in Brian2 (runtime mode, numpy target):
N leaky neurons, every ordered pair connected with probability p, synapses
with a weight and STDP traces, 1.5 ms delay, run for 5 ms; then times
Network.store(name, filename) and Network.restore(name, filename) (pickle
files, Brian2's only way to save a whole network), best of five. Then runs
build/benchmarks/state_io with the same N and p for .bin and uncompressed
.npz and prints the times of both side by side, with the ratio
Brian2 / spikeweave for the same network.

The files do not hold the same bytes: Brian2 pickles every variable of
every object, including i, j, the per-synapse delays and its event-driven
traces per synapse and last update times (about 400 MB for 10^7 synapses);
spikeweave writes pre, post, w, delay, traces per neuron, neuron state and
spikes in transit (182 MB). The comparison is time per network, not MB/s.
Brian2's store does not fsync; spikeweave's save does (and renames
atomically).

usage: state_io_brian2.py [--neurons 20000] [--p 0.0251] [--dir /tmp]
                          [--spikeweave build/benchmarks/state_io]
"""

import argparse
import os
import re
import subprocess
import sys
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def brian2_times(n, p, directory):
    warnings.filterwarnings("ignore")
    import brian2 as b2
    b2.prefs.codegen.target = "numpy"
    b2.seed(1)
    g = b2.NeuronGroup(n, "dv/dt = (-60 - v) / (20*ms) + 20 / (20*ms) : 1", threshold="v > -50",
                       reset="v = -60", method="exact")
    g.v = "-60 + 10 * rand()"
    s = b2.Synapses(g, g, """w : 1
                           dapre/dt = -apre / (20*ms) : 1 (event-driven)
                           dapost/dt = -apost / (20*ms) : 1 (event-driven)""",
                    on_pre="v_post += w; apre += 0.01; w = clip(w + apost, 0, 1)",
                    on_post="apost -= 0.0105; w = clip(w + apre, 0, 1)", delay=1.5 * b2.ms)
    s.connect(p=p)
    s.w = "0.5 * rand()"
    net = b2.Network(g, s)
    net.run(5 * b2.ms)
    path = os.path.join(directory, "sw_state_io_brian2.pkl")
    store = restore = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        net.store("state", filename=path)
        t1 = time.perf_counter()
        net.restore("state", filename=path)
        t2 = time.perf_counter()
        store, restore = min(store, t1 - t0), min(restore, t2 - t1)
    size = os.path.getsize(path) / 1e6
    os.remove(path)
    return len(s), size, store, restore


def spikeweave_times(binary, n, p, directory):
    out = subprocess.run([binary, str(n), str(p), directory, ".bin", ".npz (stored)"], check=True,
                         capture_output=True, text=True).stdout
    synapses = int(re.search(r"(\d+) synapses", out).group(1))
    rows = {}
    for line in out.splitlines():
        m = re.match(r"(\.bin|\.npz \(stored\))\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)), float(m.group(4)))
    return synapses, rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--neurons", type=int, default=20000)
    ap.add_argument("--p", type=float, default=0.0251)
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--spikeweave", default=os.path.join(REPO, "build", "benchmarks", "state_io"))
    a = ap.parse_args()
    if not os.path.exists(a.spikeweave):
        sys.exit("%s: not built (cmake --build build --target state_io)" % a.spikeweave)
    synapses, rows = spikeweave_times(a.spikeweave, a.neurons, a.p, a.dir)
    b2_synapses, b2_size, b2_store, b2_restore = brian2_times(a.neurons, a.p, a.dir)
    print("state_io_brian2: %d neurons; spikeweave %d synapses, Brian2 %d synapses" %
          (a.neurons, synapses, b2_synapses))
    print("%-28s %10s %9s %9s %14s %14s" % ("", "file [MB]", "save [s]", "load [s]", "save: B2 / sw", "load: B2 / sw"))
    print("%-28s %10.1f %9.3f %9.3f" % ("Brian2 store/restore (.pkl)", b2_size, b2_store, b2_restore))
    for name, (size, save, load) in rows.items():
        print("%-28s %10.1f %9.3f %9.3f %14.1f %14.1f" %
              ("spikeweave " + name, size, save, load, b2_store / save, b2_restore / load))


if __name__ == "__main__":
    main()
