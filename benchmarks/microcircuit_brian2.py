#!/usr/bin/python3
"""The Potjans & Diesmann (2014) microcircuit side by side: Brian2 C++ standalone vs spikeweave.

Builds the microcircuit of examples/microcircuit.hpp in Brian2's C++
standalone mode at a given scale (default 0.1: 7,718 neurons, about 3 x 10^6
synapses), runs 1 s of model time, then runs spikeweave's
microcircuit_native with the same scale, duration and threads, and prints
both side by side, with the ratios, as JSON lines and as a table.

The model in Brian2 (the same numbers as microcircuit.hpp's `plan`,
recomputed here; nothing is read from spikeweave):
  * one NeuronGroup of the 8 populations, laid out excitatory populations
    first (L23E, L4E, L5E, L6E, L23I, L4I, L5I, L6I) so that the sources of
    each synapse type are one contiguous subgroup; iaf_psc_exp in
    spikeweave's units as plain numbers (mV, pA, ms; as
    tests/reference/microcircuit_brian2.py), Brian2's method='exact':
        dV_m/dt = (E_L - V_m + R_m (I_syn_ex + I_syn_in + I_e)) / tau_m  (unless refractory)
        dI_syn_ex/dt = -I_syn_ex / tau_syn_ex,  dI_syn_in/dt = -I_syn_in / tau_syn_in
    threshold V_m >= V_th, reset V_m = V_reset, t_ref 2 ms, dt 0.1 ms;
    I_e the DC compensation of a scaled network (microcircuit.hpp's formula);
    initial V_m normal per population (the "optimized" values);
  * connectivity: per pair of populations the same total number of synapses
    as spikeweave's fixed_total_number (K = log(1 - p) / log(1 - 1/(N_pre
    N_post)) at full scale, times scale^2, rounded), pre and post drawn
    uniformly with numpy (multapses and autapses allowed) and passed as i/j
    arrays to Synapses.connect; two Synapses objects (excitatory sources ->
    I_syn_ex, inhibitory sources -> I_syn_in), the fewest Brian2 needs;
  * weights normal, 10% relative sd, redrawn until of the mean's sign;
    delays normal 1.5 +- 0.75 ms (E) / 0.75 +- 0.375 ms (I), redrawn below
    0.05 ms, rounded to steps of 0.1 ms (at least one);
  * drive: one PoissonInput(N = K_ext * scale, rate = 8 Hz, weight = w_ext)
    per population onto I_syn_ex;
  * one SpikeMonitor on the whole group (records every spike, as
    spikeweave's 8 monitors do with --transient 0).
Brian2's random network is another draw from the same distributions than
spikeweave's (different generators): rates agree statistically, not spike
for spike (tests/reference/microcircuit_brian2.py is the exact check).

What is timed (wall clock; CPU time = user + system of the process):
  Brian2, in order:
    construct   Python: numpy draws, creating the objects, connect(i, j),
                setting w, delay, V_m, I_e
    codegen     b2.run() (standalone: generates the code objects) and
                device.build's writing of sources and static arrays
    compile     device.build's 'make' (Brian2's timers['compile']['make']),
                the system g++ with Brian2's default flags (-O3 -ffast-math
                -march=native), `make -j`; CPU time of its children
    setup       the binary from the start of main to network.run: loading
                the arrays, creating the synapses, preparing the spike queues
    sim         network.run(1 s), the step loop: a CLOCK_MONOTONIC and a
                CLOCK_PROCESS_CPUTIME_ID interval inserted in the generated
                main.cpp around the call (Brian2's own _last_run_time, a
                std::clock() interval, is printed as a cross-check)
    teardown    the binary after network.run: writing results to disk
  spikeweave (microcircuit_native --json): build_s / build_cpu_s (the
  network built: connectivity, weights, delays, initial values; the program
  itself is compiled once, for any scale and seed) and sim_s / sim_cpu_s
  (net.simulate over the duration).
Ratios (Brian2 / spikeweave): simulation (wall, CPU); build, as construct +
setup (what spikeweave's build_s does), and as everything before the first
step (construct + codegen + compile + setup, what a Brian2 user waits for
when the network changes).

With --repeats R the Brian2 binary (without rebuilding) and spikeweave run R
times each, alternately, and the fastest simulation of each is reported.

usage: microcircuit_brian2.py [--scale 0.1] [--duration 1000] [--threads 1] [--seed 55]
                              [--repeats 1] [--spikeweave PATH] [--brian2-dir DIR]
"""

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_BINARY = os.path.join(REPO, "build", "benchmarks", "microcircuit_native")
BUILD_HINT = "cmake --build build --target microcircuit_native"

# examples/microcircuit.hpp, in its order (index = population).
NAMES = ["L23E", "L23I", "L4E", "L4I", "L5E", "L5I", "L6E", "L6I"]
FULL_SIZE = [20683, 5834, 21915, 5479, 4850, 1065, 14395, 2948]
CONN_PROBS = [  # [target][source]
    [0.1009, 0.1689, 0.0437, 0.0818, 0.0323, 0., 0.0076, 0.],
    [0.1346, 0.1371, 0.0316, 0.0515, 0.0755, 0., 0.0042, 0.],
    [0.0077, 0.0059, 0.0497, 0.135, 0.0067, 0.0003, 0.0453, 0.],
    [0.0691, 0.0029, 0.0794, 0.1597, 0.0033, 0., 0.1057, 0.],
    [0.1004, 0.0622, 0.0505, 0.0057, 0.0831, 0.3726, 0.0204, 0.],
    [0.0548, 0.0269, 0.0257, 0.0022, 0.06, 0.3158, 0.0086, 0.],
    [0.0156, 0.0066, 0.0211, 0.0166, 0.0572, 0.0197, 0.0396, 0.2252],
    [0.0364, 0.001, 0.0034, 0.0005, 0.0277, 0.008, 0.0658, 0.1443]]
K_EXT = [1600, 1500, 2100, 1900, 2000, 1900, 2900, 2100]
FULL_MEAN_RATES = [0.971, 2.868, 4.746, 5.396, 8.142, 9.078, 0.991, 7.523]
V0_MEAN = [-68.28, -63.16, -63.33, -63.45, -63.11, -61.66, -66.72, -61.43]
V0_SD = [5.36, 4.57, 4.74, 4.94, 4.94, 4.55, 5.46, 4.48]
NEURON = dict(C_m=250.0, tau_m=10.0, tau_syn_ex=0.5, tau_syn_in=0.5, t_ref=2.0, E_L=-65.0, V_th=-50.0,
              V_reset=-65.0)
BG_RATE = 8.0  # [Hz]
DELAY_E, DELAY_I = 1.5, 0.75  # [ms] means; sd = half the mean
WEIGHT_REL_SD = 0.1
DT = 0.1  # [ms]
LAYOUT = [0, 2, 4, 6, 1, 3, 5, 7]  # populations in the Brian2 group: excitatory first


def llround(x):
    """C's llround for x >= 0 (halves away from zero; Python's round() rounds them to even)."""
    return int(math.floor(x + 0.5))


def plan(scale):
    """microcircuit::plan(options{.scale = scale}) with Poisson drive: sizes, synapses, weights, drive, DC."""
    tau_m, C_m, tau_s = NEURON["tau_m"], NEURON["C_m"], NEURON["tau_syn_ex"]
    sub = 1.0 / (tau_s - tau_m)
    pre = tau_m * tau_s / C_m * sub
    frac = math.pow(tau_m / tau_s, sub)
    psc_over_psp = 1.0 / (pre * (math.pow(frac, tau_m) - math.pow(frac, tau_s)))
    psp_e, g = 0.15, -4.0
    w_ext = psc_over_psp * psp_e
    n = len(NAMES)
    size = [llround(FULL_SIZE[t] * scale) for t in range(n)]
    k_ext = [llround(K_EXT[t] * scale) for t in range(n)]
    full_synapses = [[0.0] * n for _ in range(n)]
    synapses = [[0] * n for _ in range(n)]
    weight = [[0.0] * n for _ in range(n)]
    for t in range(n):
        for s in range(n):
            pairs = FULL_SIZE[t] * FULL_SIZE[s]
            full_synapses[t][s] = math.log(1.0 - CONN_PROBS[t][s]) / math.log((pairs - 1.0) / pairs)
            synapses[t][s] = llround(full_synapses[t][s] * scale * scale)
            weight[t][s] = psc_over_psp * psp_e * (1.0 if s % 2 == 0 else g)
    weight[0][2] *= 2  # L4E -> L2/3E
    dc = [0.0] * n
    if scale != 1:
        root = math.sqrt(scale)
        for t in range(n):
            recurrent = 0.0
            for s in range(n):
                recurrent += weight[t][s] * full_synapses[t][s] / FULL_SIZE[t] * FULL_MEAN_RATES[s]
            dc[t] += 1e-3 * tau_s * (1 - root) * recurrent
            dc[t] += 1e-3 * tau_s * (1 - root) * w_ext * K_EXT[t] * BG_RATE
        weight = [[w / root for w in row] for row in weight]
        w_ext /= root
    return dict(size=size, k_ext=k_ext, synapses=synapses, weight=weight, w_ext=w_ext, dc=dc)


def cpu_self():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def cpu_children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


class phase:
    """Wall and CPU seconds of a block (CPU of this process, or of the children it waited for)."""

    def __init__(self, children=False):
        self.cpu = cpu_children if children else cpu_self

    def __enter__(self):
        self.t0, self.c0 = time.perf_counter(), self.cpu()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu_s = time.perf_counter() - self.t0, self.cpu() - self.c0
        return False


# ---------------------------------------------------------------------------
# Brian2.

TIMES_FILE = "results/microcircuit_times.txt"
# Monotonic wall clock and process CPU clock at: main's start, before and after network.run, main's end.
TIMER_DECLARE = ("struct timespec _mc_w[4], _mc_c[4];\n"
                 "clock_gettime(CLOCK_MONOTONIC, &_mc_w[0]); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &_mc_c[0]);")


def timer_mark(k):
    return "clock_gettime(CLOCK_MONOTONIC, &_mc_w[%d]); clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &_mc_c[%d]);" % (k, k)


TIMER_WRITE = (timer_mark(3) + "\n"
               "{ std::ofstream _mc_f(\"%s\"); _mc_f.precision(17);\n"
               "  for (int _k = 0; _k < 4; ++_k)\n"
               "    _mc_f << (double)_mc_w[_k].tv_sec + 1e-9 * (double)_mc_w[_k].tv_nsec << ' '\n"
               "          << (double)_mc_c[_k].tv_sec + 1e-9 * (double)_mc_c[_k].tv_nsec << '\\n'; }" % TIMES_FILE)


def brian2_build(b2, np, scale, duration, threads, seed, directory):
    """Builds, generates and compiles the Brian2 project; returns (objects, timings)."""
    from brian2 import ms, Hz

    b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0 if threads <= 1 else threads
    b2.defaultclock.dt = DT * ms
    b2.seed(seed)  # PoissonInput's draws, in the generated code
    rng = np.random.default_rng(seed)
    p = plan(scale)
    n_pop = len(NAMES)
    offset, at = [0] * n_pop, 0
    for pop in LAYOUT:
        offset[pop] = at
        at += p["size"][pop]
    n_total = at
    timings = {}

    with phase() as ph:
        namespace = dict(E_L=NEURON["E_L"], V_th=NEURON["V_th"], V_reset=NEURON["V_reset"],
                         R_m=NEURON["tau_m"] / NEURON["C_m"], tau_m=NEURON["tau_m"] * ms,
                         tau_syn_ex=NEURON["tau_syn_ex"] * ms, tau_syn_in=NEURON["tau_syn_in"] * ms)
        group = b2.NeuronGroup(n_total, """
            dV_m/dt = (E_L - V_m + R_m * (I_syn_ex + I_syn_in + I_e)) / tau_m : 1 (unless refractory)
            dI_syn_ex/dt = -I_syn_ex / tau_syn_ex : 1
            dI_syn_in/dt = -I_syn_in / tau_syn_in : 1
            I_e : 1 (constant)
            """, threshold="V_m >= V_th", reset="V_m = V_reset", refractory=NEURON["t_ref"] * ms,
            method="exact", namespace=namespace, name="microcircuit")
        v0 = np.empty(n_total)
        i_e = np.empty(n_total)
        for pop in range(n_pop):
            k = slice(offset[pop], offset[pop] + p["size"][pop])
            v0[k] = rng.normal(V0_MEAN[pop], V0_SD[pop], p["size"][pop])
            i_e[k] = p["dc"][pop]
        group.V_m = v0
        group.I_e = i_e

        def bounded_normal(mean, sd, count, low, high):
            """Normal values, each one outside [low, high] drawn again (NEST's redraw, spikeweave's .redraw)."""
            x = rng.normal(mean, sd, count)
            bad = np.nonzero((x < low) | (x > high))[0]
            while len(bad):
                x[bad] = rng.normal(mean, sd, len(bad))
                bad = bad[(x[bad] < low) | (x[bad] > high)]
            return x

        synapses, counts = [], {}
        for kind, sources, target in (("exc", LAYOUT[:4], "I_syn_ex"), ("inh", LAYOUT[4:], "I_syn_in")):
            pre, post, w, d = [], [], [], []
            base = offset[sources[0]]
            for s in sources:
                mean_delay = DELAY_E if s % 2 == 0 else DELAY_I
                for t in range(n_pop):
                    m = p["synapses"][t][s]
                    if m == 0:
                        continue
                    pre.append(rng.integers(0, p["size"][s], m) + (offset[s] - base))
                    post.append(rng.integers(0, p["size"][t], m) + offset[t])
                    mean_w = p["weight"][t][s]
                    if mean_w >= 0:
                        w.append(bounded_normal(mean_w, abs(mean_w) * WEIGHT_REL_SD, m, 0.0, math.inf))
                    else:
                        w.append(bounded_normal(mean_w, abs(mean_w) * WEIGHT_REL_SD, m, -math.inf, 0.0))
                    delay = bounded_normal(mean_delay, 0.5 * mean_delay, m, 0.5 * DT, math.inf)
                    d.append(np.maximum(1, np.floor(delay / DT + 0.5)) * DT)
            pre, post, w, d = (np.concatenate(x) for x in (pre, post, w, d))
            size = sum(p["size"][s] for s in sources)
            syn = b2.Synapses(group[base:base + size], group, model="w : 1 (constant)",
                              on_pre="%s_post += w" % target, namespace={}, name="syn_%s" % kind)
            syn.connect(i=pre, j=post)
            syn.w = w
            syn.delay = d * ms
            synapses.append(syn)
            counts[kind] = len(pre)
        drives = []
        for pop in range(n_pop):
            sub = group[offset[pop]:offset[pop] + p["size"][pop]]
            drives.append(b2.PoissonInput(sub, "I_syn_ex", N=p["k_ext"][pop], rate=BG_RATE * Hz,
                                          weight=p["w_ext"]))
        monitor = b2.SpikeMonitor(group, name="spikes")
        network = b2.Network(group, *synapses, *drives, monitor)
    timings["construct"] = (ph.wall, ph.cpu_s)

    b2.device.insert_code("before_start", TIMER_DECLARE)
    b2.device.insert_code("before_network_run", timer_mark(1))
    b2.device.insert_code("after_network_run", timer_mark(2))
    b2.device.insert_code("after_end", TIMER_WRITE)
    with phase() as ph:
        network.run(duration * ms, namespace={})
    run_call = (ph.wall, ph.cpu_s)
    c_children = cpu_children()
    with phase() as ph:
        b2.device.build(directory=directory, compile=True, run=False, with_output=False)
    make_wall = b2.device.timers["compile"]["make"] or 0.0
    make_cpu = cpu_children() - c_children
    timings["codegen"] = (run_call[0] + ph.wall - make_wall, run_call[1] + ph.cpu_s)
    timings["compile"] = (make_wall, make_cpu)
    info = dict(n=n_total, offset=offset, size=p["size"], synapses=counts["exc"] + counts["inh"],
                group=group, monitor=monitor)
    return info, timings


def brian2_run(b2, np, info, directory, duration):
    """Runs the compiled Brian2 binary once; its phases and rates."""
    with phase(children=True) as ph:
        b2.device.run(directory, False, [])
    with open(os.path.join(directory, TIMES_FILE)) as f:
        marks = [tuple(float(x) for x in line.split()) for line in f if line.strip()]
    (w0, c0), (w1, c1), (w2, c2), (w3, c3) = marks
    spikes = np.asarray(info["monitor"].i[:], dtype=np.int64)
    per_neuron = np.bincount(spikes, minlength=info["n"])
    seconds = duration * 1e-3
    rates = {}
    for pop in range(len(NAMES)):
        lo = info["offset"][pop]
        rates[NAMES[pop]] = float(per_neuron[lo:lo + info["size"][pop]].sum()) / info["size"][pop] / seconds
    return dict(binary_s=ph.wall, binary_cpu_s=ph.cpu_s, setup_s=w1 - w0, setup_cpu_s=c1 - c0, sim_s=w2 - w1,
                sim_cpu_s=c2 - c1, teardown_s=w3 - w2, clock_s=float(b2.device._last_run_time),
                spikes=int(len(spikes)), rates=rates)


# ---------------------------------------------------------------------------
# spikeweave.

def spikeweave_run(binary, scale, duration, threads, seed):
    command = [binary, "--scale", repr(scale), "--duration", repr(duration), "--transient", "0",
               "--threads", str(threads), "--seed", str(seed), "--json"]
    with phase(children=True) as ph:
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode not in (0, 1) or not lines:  # 1: a population never fired (JSON printed anyway)
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        sys.exit("error: %s failed with exit code %d" % (" ".join(command), done.returncode))
    out = json.loads(lines[-1])
    out["process_s"], out["process_cpu_s"] = ph.wall, ph.cpu_s
    out["rates"] = {name: out["populations"][name]["rate_hz"] for name in NAMES}
    return out


# ---------------------------------------------------------------------------

def check_prerequisites(binary):
    if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        sys.exit("error: spikeweave's microcircuit_native not found (or not executable) at %s\n"
                 "build it with:\n  %s\nor pass its location with --spikeweave PATH" % (binary, BUILD_HINT))
    if shutil.which("g++") is None or shutil.which("make") is None:
        sys.exit("error: Brian2's C++ standalone mode needs g++ and make on PATH")


def ratio(a, b):
    return a / b if b > 0 else float("inf")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=0.1, help="neurons and in-degrees (default %(default)s)")
    ap.add_argument("--duration", type=float, default=1000.0, help="model time [ms] (default %(default)s)")
    ap.add_argument("--threads", type=int, default=1,
                    help="spikeweave --threads and Brian2's OpenMP threads (1: no OpenMP; default %(default)s)")
    ap.add_argument("--seed", type=int, default=55, help="both simulators' seed (default %(default)s)")
    ap.add_argument("--repeats", type=int, default=1, help="runs of each binary; the fastest is reported")
    ap.add_argument("--spikeweave", default=DEFAULT_BINARY, help="microcircuit_native (default %(default)s)")
    ap.add_argument("--brian2-dir", default=None,
                    help="Brian2's project directory, kept (default: a temporary directory, removed)")
    args = ap.parse_args()
    if not (0 < args.scale <= 1) or not args.duration > 0 or args.threads < 1 or args.repeats < 1:
        sys.exit("error: need 0 < --scale <= 1, --duration > 0, --threads >= 1, --repeats >= 1")

    binary = os.path.abspath(args.spikeweave)
    check_prerequisites(binary)
    try:
        with warnings.catch_warnings():  # Debian's pythran warns about numpy aliases on import
            warnings.simplefilter("ignore")
            import numpy as np
            import brian2 as b2
    except Exception as e:  # noqa: BLE001 (ImportError, or a broken installation)
        sys.exit("error: %s cannot import brian2 and numpy (%s: %s); use Debian's /usr/bin/python3 with "
                 "python3-brian" % (sys.executable, type(e).__name__, e))
    b2.prefs.logging.console_log_level = "ERROR"

    directory = os.path.abspath(args.brian2_dir) if args.brian2_dir else tempfile.mkdtemp(prefix="mc_brian2_")
    os.makedirs(directory, exist_ok=True)
    load_start = os.getloadavg()
    flags = " ".join(b2.prefs.codegen.cpp.extra_compile_args_gcc)
    print("Potjans-Diesmann microcircuit, scale %g, %g ms, %d thread(s): Brian2 %s C++ standalone (%s; %s) "
          "vs spikeweave %s" % (args.scale, args.duration, args.threads, b2.__version__,
                                "no OpenMP" if args.threads <= 1 else "OpenMP %d" % args.threads, flags,
                                os.path.relpath(binary, os.getcwd())))
    print("load average at start: %.2f %.2f %.2f (1, 5, 15 min) on %d cores" % (load_start + (os.cpu_count(),)))
    sys.stdout.flush()
    try:
        info, timings = brian2_build(b2, np, args.scale, args.duration, args.threads, args.seed, directory)
        b_runs, s_runs = [], []
        for _ in range(args.repeats):
            b_runs.append(brian2_run(b2, np, info, directory, args.duration))
            s_runs.append(spikeweave_run(binary, args.scale, args.duration, args.threads, args.seed))
    finally:
        if not args.brian2_dir:
            shutil.rmtree(directory, ignore_errors=True)
    load_end = os.getloadavg()
    b = min(b_runs, key=lambda r: r["sim_s"])
    s = min(s_runs, key=lambda r: r["sim_s"])

    brian2 = dict(simulator="brian2", version=b2.__version__, scale=args.scale, duration_ms=args.duration,
                  threads=args.threads, neurons=info["n"], synapses=info["synapses"],
                  construct_s=timings["construct"][0], construct_cpu_s=timings["construct"][1],
                  codegen_s=timings["codegen"][0], codegen_cpu_s=timings["codegen"][1],
                  compile_s=timings["compile"][0], compile_cpu_s=timings["compile"][1],
                  setup_s=b["setup_s"], setup_cpu_s=b["setup_cpu_s"], sim_s=b["sim_s"], sim_cpu_s=b["sim_cpu_s"],
                  teardown_s=b["teardown_s"], last_run_time_s=b["clock_s"], binary_s=b["binary_s"],
                  binary_cpu_s=b["binary_cpu_s"], sim_all_s=[r["sim_s"] for r in b_runs], spikes=b["spikes"],
                  rates=b["rates"])
    brian2["build_s"] = brian2["construct_s"] + brian2["setup_s"]
    brian2["build_cpu_s"] = brian2["construct_cpu_s"] + brian2["setup_cpu_s"]
    brian2["to_first_step_s"] = brian2["build_s"] + brian2["codegen_s"] + brian2["compile_s"]
    brian2["to_first_step_cpu_s"] = brian2["build_cpu_s"] + brian2["codegen_cpu_s"] + brian2["compile_cpu_s"]
    brian2["rtf"] = brian2["sim_s"] / (args.duration * 1e-3)
    spikeweave = dict(simulator="spikeweave", binary=binary, scale=args.scale, duration_ms=args.duration,
                      threads=s["threads"], neurons=sum(v["n"] for v in s["populations"].values()),
                      synapses=s["synapses"], build_s=s["build_s"], build_cpu_s=s["build_cpu_s"], sim_s=s["sim_s"],
                      sim_cpu_s=s["sim_cpu_s"], rtf=s["rtf"], process_s=s["process_s"],
                      process_cpu_s=s["process_cpu_s"], sim_all_s=[r["sim_s"] for r in s_runs],
                      peak_rss_mb=s["peak_rss_mb"], rates=s["rates"])
    ratios = dict(ratios="brian2 / spikeweave",
                  sim=ratio(brian2["sim_s"], spikeweave["sim_s"]),
                  sim_cpu=ratio(brian2["sim_cpu_s"], spikeweave["sim_cpu_s"]),
                  build=ratio(brian2["build_s"], spikeweave["build_s"]),
                  build_cpu=ratio(brian2["build_cpu_s"], spikeweave["build_cpu_s"]),
                  to_first_step=ratio(brian2["to_first_step_s"], spikeweave["build_s"]),
                  to_first_step_cpu=ratio(brian2["to_first_step_cpu_s"], spikeweave["build_cpu_s"]),
                  load_start=list(load_start), load_end=list(load_end))
    for record in (brian2, spikeweave, ratios):
        print(json.dumps(record))

    print()
    print("%-46s %12s %12s %9s" % ("", "Brian2", "spikeweave", "B2 / sw"))
    print("%-46s %12d %12d" % ("neurons", brian2["neurons"], spikeweave["neurons"]))
    print("%-46s %12d %12d" % ("synapses", brian2["synapses"], spikeweave["synapses"]))

    def row(label, bw, bc, sw, sc):
        print("%-46s %12.3f %12.3f %8.1fx" % (label + " [s]", bw, sw, ratio(bw, sw)))
        print("%-46s %12.3f %12.3f %8.1fx" % ("  CPU [s]", bc, sc, ratio(bc, sc)))

    row("simulation, %g ms" % args.duration, brian2["sim_s"], brian2["sim_cpu_s"], spikeweave["sim_s"],
        spikeweave["sim_cpu_s"])
    row("build (B2: construct + setup)", brian2["build_s"], brian2["build_cpu_s"], spikeweave["build_s"],
        spikeweave["build_cpu_s"])
    row("to the first step (B2: + codegen, compile)", brian2["to_first_step_s"], brian2["to_first_step_cpu_s"],
        spikeweave["build_s"], spikeweave["build_cpu_s"])
    print("Brian2 parts: construct %.2f s (CPU %.2f), codegen %.2f s (%.2f), compile %.2f s (%.2f), setup %.2f s "
          "(%.2f), teardown %.2f s; its std::clock() of network.run %.3f s"
          % (brian2["construct_s"], brian2["construct_cpu_s"], brian2["codegen_s"], brian2["codegen_cpu_s"],
             brian2["compile_s"], brian2["compile_cpu_s"], brian2["setup_s"], brian2["setup_cpu_s"],
             brian2["teardown_s"], brian2["last_run_time_s"]))
    if args.repeats > 1:
        print("all simulation times [s]: Brian2 %s; spikeweave %s"
              % (" ".join("%.3f" % x for x in brian2["sim_all_s"]),
                 " ".join("%.3f" % x for x in spikeweave["sim_all_s"])))
    print()
    print("%-6s %12s %12s %14s" % ("rate", "Brian2 [Hz]", "sw [Hz]", "full-scale ref"))
    for k, name in enumerate(NAMES):
        print("%-6s %12.3f %12.3f %14.3f" % (name, brian2["rates"][name], spikeweave["rates"][name],
                                              FULL_MEAN_RATES[k]))
    print("(different random draws of the same network; the rates agree statistically)")
    print("load average at the end: %.2f %.2f %.2f" % load_end)
    if args.scale == 0.1:
        print("issue 16's target (simulation >= 3x faster at scale 0.1): wall %s, CPU %s"
              % tuple("met" if ratios[k] >= 3 else "NOT met" for k in ("sim", "sim_cpu")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
