#!/usr/bin/python3
"""COBA (Brette et al. 2007, benchmark 1) side by side: Brian2 vs spikeweave.

Runs the same network in Brian2's C++ standalone mode (no OpenMP, Brian2's
default compiler flags) and in spikeweave's coba_native (double precision),
for several network sizes, and prints simulation wall times and rates; then
compares the mean rates of both simulators over seeds 1..5 at N = 4000.

The model (both simulators): N conductance-based LIF neurons, 80% E / 20% I,

    tau_m dv/dt = (E_l - v) + g_e (E_e - v) + g_i (E_i - v)   (unless refractory)
    tau_e dg_e/dt = -g_e,  tau_i dg_i/dt = -g_i

forward Euler, dt = 0.1 ms, spike when v > -50 mV, reset to -60 mV, 5 ms
refractory; every ordered pair (self-connections included) connected with
probability p = 80 / N; a spike adds 0.6 (E) or 6.7 (I) to g_e / g_i of the
target (units of the leak conductance) after one time step (0.1 ms);
v(0) ~ U[-60, -50] mV, g_e(0) ~ N(4, 1.5), g_i(0) ~ N(20, 12).

What is timed (both sides: the step loop only, wall clock):
  * spikeweave: the 'simulation time' line of coba_native, a steady_clock
    interval around net.simulate(duration). It excludes building the network
    (connectivity, initial values: the 'build time' line) and process start.
  * Brian2: a CLOCK_MONOTONIC interval inserted into the generated main.cpp
    (device.insert_code 'before_network_run' / 'after_network_run') around
    the call network.run(duration). That call is exactly Brian2's step loop:
    state update, threshold, spike propagation, reset and the spike counter
    for every step. It excludes code generation and compilation, process
    start, creating the synapses (connect), setting the initial values,
    preparing the spike queues and writing the results to disk. Brian2's own
    figure for the same interval (device._last_run_time, read from
    results/last_run_info.txt) is measured with std::clock(), i.e. CPU time of
    the process; it is printed as a cross-check but not used.
Both counters only count spikes (spikeweave: per population; Brian2: a
SpikeMonitor with record=False), so neither pays for recording spike times.
With --repeats R each simulator runs R times per size (the Brian2 binary is
re-executed without rebuilding) and the minimum is reported.

usage: compare_brian2.py [--sizes 4000,16000,64000] [--duration 10000]
                         [--seed-duration MS] [--repeats 3] [--quick]
                         [--spikeweave PATH] [--brian2-dir DIR]
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BINARY = os.path.join(REPO, "build", "benchmarks", "coba_native")
BUILD_HINT = ("cd %s && cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && "
              "cmake --build build -j2 --target coba_native" % REPO)
SEEDS = [1, 2, 3, 4, 5]
SEED_N = 4000
WORKER_MARK = "COMPARE_BRIAN2_RESULT "


# --------------------------------------------------------------------------
# Brian2 side. Runs in a subprocess of this script (one per network size and
# seed), so that each build starts from a fresh device; the project directory
# of a size is kept for the run, so seeds at one size recompile only main.cpp.
# --------------------------------------------------------------------------
def brian2_worker(n, duration, seed, directory, repeats):
    import brian2 as b2
    from brian2 import ms, mV

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0  # no OpenMP
    # Compiler flags: Brian2's defaults (-O3 -ffast-math -march=native ...).
    b2.defaultclock.dt = 0.1 * ms
    b2.seed(seed)

    n_e = n * 4 // 5
    p = 80.0 / n
    ns = dict(taum=20 * ms, El=-60 * mV, Ee=0 * mV, Ei=-80 * mV, taue=5 * ms, taui=10 * ms,
              v_th=-50 * mV, v_reset=-60 * mV, we=0.6, wi=6.7)
    eqs = """
    dv/dt = (El - v + ge*(Ee - v) + gi*(Ei - v)) / taum : volt (unless refractory)
    dge/dt = -ge / taue : 1
    dgi/dt = -gi / taui : 1
    """
    P = b2.NeuronGroup(n, eqs, threshold="v > v_th", reset="v = v_reset", refractory=5 * ms,
                       method="euler", namespace=ns)
    # String expressions: drawn in the generated C++ code, from Brian2's seed.
    P.v = "-60*mV + 10*mV*rand()"
    P.ge = "4 + 1.5*randn()"
    P.gi = "20 + 12*randn()"
    # One step of delay, as spikeweave's (its minimum). A scalar delay keyword
    # makes it homogeneous (no per-synapse delay array).
    Ce = b2.Synapses(P[:n_e], P, on_pre="ge += we", delay=b2.defaultclock.dt, namespace=ns)
    Ci = b2.Synapses(P[n_e:], P, on_pre="gi += wi", delay=b2.defaultclock.dt, namespace=ns)
    # No condition: every (i, j) pair, i == j included.
    Ce.connect(p=p)
    Ci.connect(p=p)
    counter = b2.SpikeMonitor(P, record=False)  # counts only

    wall_file = "results/compare_wall_time.txt"
    b2.device.insert_code("before_network_run",
                          "struct timespec _cmp_t0, _cmp_t1; clock_gettime(CLOCK_MONOTONIC, &_cmp_t0);")
    b2.device.insert_code("after_network_run",
                          "clock_gettime(CLOCK_MONOTONIC, &_cmp_t1);\n"
                          "{ std::ofstream _cmp_f(\"%s\"); _cmp_f.precision(17);\n"
                          "  _cmp_f << (double)(_cmp_t1.tv_sec - _cmp_t0.tv_sec)"
                          " + 1e-9 * (double)(_cmp_t1.tv_nsec - _cmp_t0.tv_nsec) << std::endl; }" % wall_file)
    b2.run(duration * ms)

    t0 = time.perf_counter()
    b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    compile_s = time.perf_counter() - t0

    def read_wall():
        with open(os.path.join(directory, wall_file)) as f:
            return float(f.read())

    walls, clocks = [], []
    for _ in range(repeats):
        b2.device.run(directory, False, [])
        walls.append(read_wall())
        clocks.append(float(b2.device._last_run_time))
    spikes = int(counter.num_spikes)
    result = dict(n=n, duration=duration, seed=seed, synapses=int(len(Ce) + len(Ci)), spikes=spikes,
                  rate=spikes / n / (duration * 1e-3), sim_s=min(walls), sim_all=walls,
                  brian_clock_s=min(clocks), compile_s=compile_s, brian2=b2.__version__)
    print(WORKER_MARK + json.dumps(result), flush=True)


def run_brian2(n, duration, seed, root, repeats):
    directory = os.path.join(root, "coba_N%d" % n)
    cmd = [sys.executable, os.path.abspath(__file__), "--_worker", str(n), repr(duration), str(seed),
           directory, str(repeats)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith(WORKER_MARK):
            return json.loads(line[len(WORKER_MARK):])
    sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
    sys.exit("error: the Brian2 run (N=%d, %g ms, seed %d) failed, exit code %d; output above"
             % (n, duration, seed, proc.returncode))


# --------------------------------------------------------------------------
# spikeweave side: coba_native [N] [duration_ms] [seed].
# --------------------------------------------------------------------------
def run_spikeweave(binary, n, duration, seed, repeats):
    sims = []
    for _ in range(repeats):
        proc = subprocess.run([binary, str(n), repr(duration), str(seed)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        out = proc.stdout

        def field(name):
            m = re.search(r"^\s*%s\s+([-+0-9.eE]+)" % re.escape(name), out, re.M)
            if not m:
                sys.stderr.write(out + proc.stderr)
                sys.exit("error: no '%s' line in the output of %s (exit code %d)"
                         % (name, binary, proc.returncode))
            return float(m.group(1))

        sims.append(field("simulation time"))
        spikes, synapses, neurons = int(field("spikes")), int(field("synapses")), int(field("neurons"))
        build = field("build time")
    return dict(n=neurons, duration=duration, seed=seed, synapses=synapses, spikes=spikes,
                rate=spikes / neurons / (duration * 1e-3), sim_s=min(sims), sim_all=sims, build_s=build)


# --------------------------------------------------------------------------
def check_prerequisites(binary):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        sys.exit("error: spikeweave's COBA binary not found (or not executable) at %s\n"
                 "build it with:\n  %s\nor pass its location with --spikeweave PATH" % (binary, BUILD_HINT))
    try:
        with warnings.catch_warnings():  # pythran's FutureWarnings about numpy aliases, on import
            warnings.simplefilter("ignore")
            import brian2  # noqa: F401
    except Exception as e:  # ImportError, or a broken installation
        sys.exit("error: Brian2 is not importable by %s (%s: %s)\n"
                 "run this script with an interpreter that has brian2 and numpy (e.g. Debian's "
                 "/usr/bin/python3 with python3-brian)" % (sys.executable, type(e).__name__, e))
    return brian2.__version__


def parse_sizes(text):
    try:
        sizes = [int(s) for s in re.split(r"[,\s]+", text.strip()) if s]
    except ValueError:
        sys.exit("error: --sizes takes integers, e.g. --sizes 4000,16000")
    if not sizes or any(s < 5 for s in sizes):
        sys.exit("error: --sizes needs network sizes >= 5")
    return sizes


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--_worker":
        n, duration, seed, directory, repeats = sys.argv[2:7]
        brian2_worker(int(n), float(duration), int(seed), directory, int(repeats))
        return

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="4000,16000,64000", help="network sizes N (comma-separated)")
    ap.add_argument("--duration", type=float, default=10000.0, help="simulated time per size [ms]")
    ap.add_argument("--seed-duration", type=float, default=None,
                    help="simulated time of each seed run at N=4000 [ms] (default: --duration)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="runs per size and simulator; the fastest is reported (seed runs: once)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke test: N=4000 only, 1000 ms, one repeat")
    ap.add_argument("--spikeweave", default=DEFAULT_BINARY, help="coba_native binary (default %(default)s)")
    ap.add_argument("--brian2-dir", default=None,
                    help="directory for Brian2's standalone projects, kept (and reused as a compile cache); "
                         "default: a temporary directory, removed at the end")
    args = ap.parse_args()

    sizes = parse_sizes(args.sizes)
    duration, repeats = args.duration, max(1, args.repeats)
    if args.quick:
        sizes, duration, repeats = [4000], 1000.0, 1
    seed_duration = args.seed_duration if args.seed_duration is not None else duration
    if not (duration > 0 and seed_duration > 0):
        sys.exit("error: durations must be > 0")

    binary = os.path.abspath(args.spikeweave)
    b2_version = check_prerequisites(binary)
    root = os.path.abspath(args.brian2_dir) if args.brian2_dir else tempfile.mkdtemp(prefix="compare_brian2_")
    os.makedirs(root, exist_ok=True)

    import brian2
    flags = " ".join(brian2.prefs.codegen.cpp.extra_compile_args_gcc)
    print("COBA benchmark: Brian2 %s (C++ standalone, no OpenMP, flags: %s) vs spikeweave %s (double)"
          % (b2_version, flags, os.path.relpath(binary, os.getcwd())))
    print("dt 0.1 ms, p = 80/N (self-connections allowed), synaptic delay 0.1 ms, %d core(s); "
          "times: wall clock of the simulation loop only, best of %d" % (os.cpu_count(), repeats))
    print("load average at start: %.2f (1 min); other processes inflate wall times" % os.getloadavg()[0])
    sys.stdout.flush()
    started = time.perf_counter()

    try:
        # ---- 1. sizes ----------------------------------------------------
        rows = []
        for n in sizes:
            b = run_brian2(n, duration, 1, root, repeats)
            s = run_spikeweave(binary, n, duration, 1, repeats)
            rows.append((n, b, s))
        print()
        print("Sizes: %g ms simulated, seed 1" % duration)
        head = ("%7s %11s %11s %11s %11s %8s %9s %9s"
                % ("N", "syn Brian2", "syn sw", "Brian2 [s]", "sw [s]", "B2/sw", "rate B2", "rate sw"))
        print(head)
        print("-" * len(head))
        for n, b, s in rows:
            print("%7d %11d %11d %11.3f %11.3f %8.1f %7.2f Hz %6.2f Hz"
                  % (n, b["synapses"], s["synapses"], b["sim_s"], s["sim_s"],
                     b["sim_s"] / s["sim_s"] if s["sim_s"] > 0 else float("inf"), b["rate"], s["rate"]))
        print()
        print("Not in the times above (for reference): Brian2 compile time, Brian2 std::clock() CPU time "
              "of the loop, spikeweave build time; all runs' loop times [s]:")
        for n, b, s in rows:
            print("  N=%-6d Brian2 compile %6.1f s, clock() %.3f s, runs %s; spikeweave build %.3f s, runs %s"
                  % (n, b["compile_s"], b["brian_clock_s"], " ".join("%.3f" % x for x in b["sim_all"]),
                     s["build_s"], " ".join("%.3f" % x for x in s["sim_all"])))
        sys.stdout.flush()

        # ---- 2. rates over seeds -----------------------------------------
        per_seed = []
        for seed in SEEDS:
            b = run_brian2(SEED_N, seed_duration, seed, root, 1)
            s = run_spikeweave(binary, SEED_N, seed_duration, seed, 1)
            per_seed.append((seed, b["rate"], s["rate"]))
        print()
        print("Mean rate over seeds: N = %d, %g ms simulated (seeds are not paired: the two simulators "
              "draw different networks)" % (SEED_N, seed_duration))
        print("%6s %12s %12s" % ("seed", "Brian2", "spikeweave"))
        for seed, rb, rs in per_seed:
            print("%6d %9.2f Hz %9.2f Hz" % (seed, rb, rs))
        summary = {}
        for name, col in (("Brian2", 1), ("spikeweave", 2)):
            vals = [r[col] for r in per_seed]
            mean = sum(vals) / len(vals)
            sd = (sum((v - mean) ** 2 for v in vals) / (len(vals) - 1)) ** 0.5 if len(vals) > 1 else 0.0
            summary[name] = (mean, sd, min(vals), max(vals))
        print("%6s %9.2f Hz %9.2f Hz" % ("mean", summary["Brian2"][0], summary["spikeweave"][0]))
        print("%6s %9.2f Hz %9.2f Hz" % ("sd", summary["Brian2"][1], summary["spikeweave"][1]))
        for name in ("Brian2", "spikeweave"):
            print("%-10s range %.2f .. %.2f Hz" % (name, summary[name][2], summary[name][3]))
        lo = max(summary["Brian2"][2], summary["spikeweave"][2])
        hi = min(summary["Brian2"][3], summary["spikeweave"][3])
        print("ranges overlap: %s" % ("yes (%.2f .. %.2f Hz)" % (lo, hi) if lo <= hi else "NO"))
        print()
        print("total time of this script: %.0f s; load average at the end: %.2f (1 min)"
              % (time.perf_counter() - started, os.getloadavg()[0]))
    finally:
        if not args.brian2_dir:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
