#!/usr/bin/python3
"""The Potjans & Diesmann (2014) microcircuit in Brian2 from spikeweave's synapse lists: identical spikes and states.

spikeweave builds a small version of examples/microcircuit.hpp (scale 0.05 by
default: 3,859 neurons, 747,205 synapses) with DC drive (the Poisson inputs at
rate 0) raised by 100 pA in every population (--extra-dc: without it the
scaled DC-driven circuit is silent after its first spikes, see
docs/microcircuit.md), runs it for 1 s and exports it through the program
microcircuit_brian2_export (tests/microcircuit/microcircuit_brian2_export.cpp):
neuron parameters, I_e per population, the initial V_m of every neuron, every
synapse (pre, post, weight, delay in steps, in spikeweave's storage order),
every spike (neuron, step) and the state (V_m, I_syn_ex, I_syn_in) of every
neuron every 100 ms. This script rebuilds that network in Brian2 (runtime
mode, numpy target) from those lists, runs it for as many steps and requires
the same spikes, every neuron and every step, and the same states, bit for
bit. Nothing is random in either run once the lists exist, so the comparison
can be exact. The states are what makes it strict: spike steps alone are
robust to rounding here (moving every initial V_m by 1e-6 mV moves no spike
in 1 s, --perturb 1e-6; Brian2's own method='exact' gives the same spikes),
while a single addition done in another order shows in the states.

How the two simulations are made to agree bit for bit:
  * Units: spikeweave's (ms, mV, pA, pF) as plain numbers, so that both add
    and multiply the same doubles (Brian2 with units would compute in volts
    and amperes, other roundings).
  * The neuron (models/iaf_psc_exp.hpp) is one NeuronGroup of all 8
    populations (I_e per neuron). Its equations are there for reading; the
    state update is given explicitly (`method=` a callable returning the
    code): exactly spikeweave's propagator step,
        V' = E_L + (V_m - E_L) P22 + I_syn_ex P21ex + I_syn_in P21in + I_e P20
        V_m = V' unless refractory; I_syn_ex *= P11ex; I_syn_in *= P11in,
    with the propagators computed here by the formulas of
    iaf_psc_exp::derive (math.exp / math.expm1, the same libm as C++) and
    checked to equal spikeweave's bit for bit. Brian2's loop-invariant
    optimisation is switched off so that the numpy code keeps that
    association (checked in the generated code). Brian2's own
    method='exact' writes the propagators in sympy's form, which rounds
    differently: see --method exact.
  * Refractoriness: t_ref = 2 ms = 20 steps. Brian2's not_refractory
    (timestep(t - lastspike) >= 20) and spikeweave's counter both hold V_m
    in the 19 steps after a spike; threshold V_m >= V_th.
  * Step numbering and delays as in network_brian2.py: step n advances
    from n dt to (n + 1) dt; a spike of step n with a delay of d steps is
    added to its target in step n + d (Brian2: 'synapses' slot; spikeweave:
    after the neurons' update) and acts from step n + d + 1 on.
  * Order of simultaneous arrivals, which decides the rounding of the sums:
    spikeweave delivers projection by projection in declaration order
    ("L23E->L23E", "L23I->L23E", ..., i.e. for one post population by source
    population), within one the oldest emission first, then ascending pre,
    then storage order (rows by delay, then post; multapses in the order
    they were drawn). Brian2 here has one Synapses per source population
    (onto the whole group, I_syn_ex from excitatory sources, I_syn_in from
    inhibitory ones), connected with the exported lists of that source's 8
    projections in storage order, named syn0 .. syn7 so that they run in
    source order (same slot and order: by name). Its spike queue keeps
    push order (oldest emission first), ascending source neuron, then
    synapse index among the synapses of one delay; numpy's add.at adds in
    that order. So every post neuron receives its inputs in the same
    order in both.

Usage:
  microcircuit_brian2.py --spikeweave EXE [--work-dir DIR] [--scale S] [--seed N] [--duration MS]
                         [--extra-dc PA]
      run EXE (microcircuit_brian2_export) into DIR, then Brian2, and compare
  microcircuit_brian2.py --from DIR
      compare with an export already in DIR
  --method exact   Brian2's method='exact' instead of the explicit propagator: the spikes still
                   agree, the states differ by rounding (reported, not failed)
  --perturb MV     also run Brian2 with every initial V_m moved by MV (alternately up and down)
                   and report where its spikes part from the unperturbed run

Exit codes: 0 identical, 1 a difference (the first one is reported), 2 a
usage or export error, 77 Brian2 cannot be imported (the ctest is skipped).
"""

import argparse
import json
import math
import os
import subprocess
import sys
import time
import warnings

SKIP = 77

warnings.filterwarnings("ignore")  # Debian's pythran warns about numpy on import
try:
    import numpy as np
    import brian2 as b2
    from brian2 import ms
except Exception as e:  # noqa: BLE001 (any import failure means: no Brian2 here)
    print("SKIP: /usr/bin/python3 cannot import brian2 and numpy (Debian: python3-brian): %s" % e)
    sys.exit(SKIP)

b2.prefs.codegen.target = "numpy"
b2.prefs.logging.console_log_level = "ERROR"
# Keeps Brian2 from rewriting the update's expressions (their association is their rounding).
b2.prefs.codegen.loop_invariant_optimisations = False

EQUATIONS = """
dV_m/dt = (E_L - V_m + R_m * (I_syn_ex + I_syn_in + I_e)) / tau_m : 1 (unless refractory)
dI_syn_ex/dt = -I_syn_ex / tau_syn_ex : 1
dI_syn_in/dt = -I_syn_in / tau_syn_in : 1
I_e : 1 (constant)
"""
# spikeweave's iaf_psc_exp::update, term by term.
PROPAGATOR_CODE = """
V_free = E_L + (V_m - E_L) * P22 + I_syn_ex * P21ex + I_syn_in * P21in + I_e * P20
V_m = int(not_refractory) * V_free + int(not not_refractory) * V_m
I_syn_ex = I_syn_ex * P11ex
I_syn_in = I_syn_in * P11in
"""
# How numpy code generation must render the first line (checked after the run).
PROPAGATOR_RENDERED = ("V_free = (((E_L + ((V_m - E_L) * P22)) + (I_syn_ex * P21ex)) + (I_syn_in * P21in)) + "
                       "(I_e * P20)")


def propagator_step(equations, variables, options=None):  # noqa: ARG001 (Brian2's state updater signature)
    return PROPAGATOR_CODE


def propagators(neuron, dt):
    """iaf_psc_exp::derive, the same operations in the same order."""
    tau_m, C_m = neuron["tau_m"], neuron["C_m"]
    R = tau_m / C_m

    def coupling(tau_s):
        h = tau_s - tau_m
        if h == 0:
            return R * dt / tau_m * math.exp(-dt / tau_m)
        return R * math.exp(-dt / tau_m) * tau_s / h * math.expm1(dt * h / (tau_m * tau_s))

    return {"P22": math.exp(-dt / tau_m), "P21ex": coupling(neuron["tau_syn_ex"]),
            "P21in": coupling(neuron["tau_syn_in"]), "P20": -R * math.expm1(-dt / tau_m),
            "P11ex": math.exp(-dt / neuron["tau_syn_ex"]), "P11in": math.exp(-dt / neuron["tau_syn_in"])}


# ---------------------------------------------------------------------------
# The export.

DTYPES = {"v0": "<f8", "pre": "<u4", "post": "<u4", "w": "<f8", "delay": "<u2", "spikes": "<u4", "state": "<f8"}
VARIABLES = ("V_m", "I_syn_ex", "I_syn_in")


def load(directory):
    with open(os.path.join(directory, "network.json")) as f:
        net = json.load(f)
    arrays = {key: np.fromfile(os.path.join(directory, name), dtype=DTYPES[key]) for key, name in net["files"].items()}
    problems = []
    if len(arrays["v0"]) != net["neurons"]:
        problems.append("v0: %d values for %d neurons" % (len(arrays["v0"]), net["neurons"]))
    for key in ("pre", "post", "w", "delay"):
        if len(arrays[key]) != net["synapses"]:
            problems.append("%s: %d values for %d synapses" % (key, len(arrays[key]), net["synapses"]))
    if net["state_variables"] != list(VARIABLES) or net["steps"] % net["samples"] != 0:
        problems.append("state: variables %s, %d samples of %d steps" % (net["state_variables"], net["samples"],
                                                                       net["steps"]))
    if len(arrays["state"]) != net["samples"] * len(VARIABLES) * net["neurons"]:
        problems.append("state: %d values for %d samples" % (len(arrays["state"]), net["samples"]))
    if problems:
        raise SystemExit("microcircuit_brian2.py: broken export in %s: %s" % (directory, "; ".join(problems)))
    arrays["spikes"] = arrays["spikes"].reshape(-1, 2).astype(np.int64)  # (neuron, step)
    arrays["state"] = arrays["state"].reshape(net["samples"], len(VARIABLES), net["neurons"])
    return net, arrays


def export(exe, directory, scale, seed, duration, extra_dc):
    os.makedirs(directory, exist_ok=True)
    command = [exe, "--out", directory, "--scale", repr(scale), "--seed", str(seed), "--duration", repr(duration),
               "--extra-dc", repr(extra_dc)]
    start = time.time()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(done.stdout.strip())
    if done.returncode != 0:
        raise SystemExit("microcircuit_brian2.py: %s failed with exit code %d" % (" ".join(command), done.returncode))
    print("spikeweave: built, ran and exported in %.1f s" % (time.time() - start))


# ---------------------------------------------------------------------------
# Brian2.

def run_brian2(net, arrays, method="explicit", perturb_v=0.0):
    """Brian2's spikes as (neuron, step) rows (by step, then neuron), its states as the export's, run time [s]."""
    b2.start_scope()
    dt = net["dt"]
    b2.defaultclock.dt = dt * ms
    neuron = net["neuron"]
    P = propagators(neuron, dt)
    namespace = dict(P, E_L=neuron["E_L"], V_th=neuron["V_th"], V_reset=neuron["V_reset"],
                     R_m=neuron["tau_m"] / neuron["C_m"], tau_m=neuron["tau_m"] * ms,
                     tau_syn_ex=neuron["tau_syn_ex"] * ms, tau_syn_in=neuron["tau_syn_in"] * ms)
    group = b2.NeuronGroup(net["neurons"], EQUATIONS, threshold="V_m >= V_th", reset="V_m = V_reset",
                           refractory=neuron["t_ref"] * ms,
                           method=propagator_step if method == "explicit" else method,
                           namespace=namespace, name="microcircuit")
    pops = net["populations"]
    group.V_m = arrays["v0"] + perturb_v * (1 - 2 * (np.arange(net["neurons"]) % 2))  # alternately up and down
    group.I_e = np.concatenate([np.full(p["size"], p["I_e"]) for p in pops])
    offset = {p["name"]: p["offset"] for p in pops}
    index = {p["name"]: k for k, p in enumerate(pops)}

    synapses = []
    for s, source in enumerate(pops):
        projs = [p for p in net["projections"] if p["pre"] == source["name"]]
        targets = {p["target"] for p in projs}
        if len(targets) != 1:
            raise SystemExit("microcircuit_brian2.py: projections from %s onto %s: one target per source expected"
                             % (source["name"], sorted(targets)))
        pre, post, w, delay = [], [], [], []
        for p in projs:
            k = slice(p["offset"], p["offset"] + p["synapses"])
            pre.append(arrays["pre"][k].astype(np.int64))
            post.append(arrays["post"][k].astype(np.int64) + offset[p["post"]])
            w.append(arrays["w"][k])
            delay.append(arrays["delay"][k])
        pre, post, w, delay = (np.concatenate(x) for x in (pre, post, w, delay))
        lo = source["offset"]
        syn = b2.Synapses(group[lo:lo + source["size"]], group, model="w : 1",
                          on_pre="%s_post += w" % targets.pop(), namespace={}, name="syn%d" % index[source["name"]])
        syn.connect(i=pre, j=post)
        syn.w = w
        syn.delay = delay.astype(float) * dt * ms
        if not (np.array_equal(syn.i[:], pre) and np.array_equal(syn.j[:], post)):
            raise SystemExit("microcircuit_brian2.py: Brian2 reordered the synapses of syn%d" % s)
        synapses.append(syn)
    monitor = b2.SpikeMonitor(group)
    network = b2.Network(group, *synapses, monitor)
    start = time.time()
    chunk = net["steps"] // net["samples"]
    states = np.empty_like(arrays["state"])
    for k in range(net["samples"]):
        network.run(chunk * dt * ms, namespace={})
        steps_done = int(round(float(network.t_) / float(b2.defaultclock.dt_)))
        if steps_done != (k + 1) * chunk:
            raise SystemExit("microcircuit_brian2.py: Brian2 is at step %d, expected %d" % (steps_done, (k + 1) * chunk))
        for v, var in enumerate(VARIABLES):
            states[k, v] = getattr(group, var)[:]
    elapsed = time.time() - start
    if method == "explicit":
        code = str(group.state_updater.codeobj.code)
        if PROPAGATOR_RENDERED not in code:
            raise SystemExit("microcircuit_brian2.py: Brian2 rendered the propagator step otherwise than "
                             "spikeweave computes it; expected\n  %s\nin\n%s" % (PROPAGATOR_RENDERED, code))
    steps = np.round(np.asarray(monitor.t_) / float(b2.defaultclock.dt_)).astype(np.int64)
    spikes = np.stack([np.asarray(monitor.i[:], dtype=np.int64), steps], axis=1)
    order = np.lexsort((spikes[:, 0], spikes[:, 1]))
    return spikes[order], states, elapsed


# ---------------------------------------------------------------------------
# Comparison.

def where(net, neuron):
    for p in net["populations"]:
        if p["offset"] <= neuron < p["offset"] + p["size"]:
            return "%s[%d]" % (p["name"], neuron - p["offset"])
    return "neuron %d" % neuron


def first_difference(net, ours, theirs, labels=("spikeweave", "Brian2")):
    """None if the spike lists are equal, else a description of the first step where they differ."""
    if ours.shape == theirs.shape and np.array_equal(ours, theirs):
        return None
    n = min(len(ours), len(theirs))
    k = next((k for k in range(n) if not np.array_equal(ours[k], theirs[k])), n)
    step = min(ours[k][1] if k < len(ours) else math.inf, theirs[k][1] if k < len(theirs) else math.inf)
    a = set(int(i) for i in ours[ours[:, 1] == step][:, 0])
    b = set(int(i) for i in theirs[theirs[:, 1] == step][:, 0])
    return ("first difference in step %d (t = %.1f ms), after %d identical spikes: only %s: %s; only %s: %s "
            "(%d spikes in all in %s, %d in %s)"
            % (step, step * net["dt"], k, labels[0], ", ".join(where(net, i) for i in sorted(a - b)) or "none",
               labels[1], ", ".join(where(net, i) for i in sorted(b - a)) or "none",
               len(ours), labels[0], len(theirs), labels[1]))


def state_difference(net, ours, theirs):
    """None if the sampled states are equal bit for bit, else where they first differ and by how much at most."""
    if np.array_equal(ours, theirs):
        return None
    chunk = net["steps"] // net["samples"]
    k, v, i = (int(x[0]) for x in np.nonzero(ours != theirs))
    relative = np.abs(ours - theirs) / np.maximum(1.0, np.abs(ours))
    worst = ", ".join("%s %.1e" % (var, relative[:, j].max()) for j, var in enumerate(VARIABLES))
    return ("state after step %d: %s of %s is %r in spikeweave, %r in Brian2 (%d of %d values differ; largest "
            "relative differences: %s)" % ((k + 1) * chunk, VARIABLES[v], where(net, i), float(ours[k, v, i]),
                                           float(theirs[k, v, i]), int(np.count_nonzero(ours != theirs)),
                                           ours.size, worst))


def summary(net, spikes):
    seconds = net["steps"] * net["dt"] / 1000.0
    parts = []
    for p in net["populations"]:
        count = int(np.count_nonzero((spikes[:, 0] >= p["offset"]) & (spikes[:, 0] < p["offset"] + p["size"])))
        parts.append("%s %.2f Hz" % (p["name"], count / p["size"] / seconds))
    return ", ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--spikeweave", metavar="EXE", help="microcircuit_brian2_export, run into --work-dir")
    source.add_argument("--from", dest="existing", metavar="DIR", help="an export already made")
    parser.add_argument("--work-dir", default="microcircuit_brian2", metavar="DIR")
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=55)
    parser.add_argument("--duration", type=float, default=1000.0, metavar="MS")
    parser.add_argument("--extra-dc", type=float, default=100.0, metavar="PA",
                        help="added to every population's I_e (default 100 pA)")
    parser.add_argument("--method", choices=("explicit", "exact"), default="explicit",
                        help="exact: Brian2's own integrator (the state then differs by rounding, reported only)")
    parser.add_argument("--perturb", type=float, default=0.0, metavar="MV",
                        help="also run Brian2 with every initial V_m moved by MV (alternately up and down) and "
                             "report whether spikes move: how sensitive the network is")
    args = parser.parse_args()

    directory = args.existing
    if args.spikeweave:
        directory = args.work_dir
        export(args.spikeweave, directory, args.scale, args.seed, args.duration, args.extra_dc)
    net, arrays = load(directory)
    print("network: scale %g, seed %d, %d neurons, %d synapses (%s), %d steps of %g ms, DC drive + %g pA"
          % (net["scale"], net["seed"], net["neurons"], net["synapses"],
             "delays %d..%d steps" % (arrays["delay"].min(), arrays["delay"].max()) if net["synapses"] else "none",
             net["steps"], net["dt"], net["extra_dc"]))

    problems = []
    ours = arrays["spikes"]
    expected = propagators(net["neuron"], net["dt"])
    for name, value in expected.items():
        if net["propagators"][name] != value:
            problems.append("propagator %s: spikeweave %r, computed here %r" % (name, net["propagators"][name], value))
    silent = [p["name"] for p in net["populations"] if p["spikes"] == 0]
    if silent:
        problems.append("populations that never fire in spikeweave (a weak test): %s" % ", ".join(silent))
    counts = [int(np.count_nonzero((ours[:, 0] >= p["offset"]) & (ours[:, 0] < p["offset"] + p["size"])))
              for p in net["populations"]]
    if counts != [p["spikes"] for p in net["populations"]]:
        problems.append("spike counts per population in network.json %s, in spikes.u32 %s"
                        % ([p["spikes"] for p in net["populations"]], counts))

    theirs, states, elapsed = run_brian2(net, arrays, args.method)
    print("spikeweave: %d spikes (%s)" % (len(ours), summary(net, ours)))
    print("Brian2 %s (numpy, method %s): %d spikes in %.1f s of simulation (%s)"
          % (b2.__version__, args.method, len(theirs), elapsed, summary(net, theirs)))
    difference = first_difference(net, ours, theirs)
    if difference:
        problems.append(difference)
    difference = state_difference(net, arrays["state"], states)
    if difference and args.method == "explicit":
        problems.append(difference)
    elif difference:
        print("state (not required to agree with method %s): %s" % (args.method, difference))

    if args.perturb:
        moved, _, _ = run_brian2(net, arrays, args.method, perturb_v=args.perturb)
        d = first_difference(net, theirs, moved, ("Brian2", "Brian2 with V_m(0) moved by %g mV" % args.perturb))
        print("every initial V_m moved by +-%g mV: %s" % (args.perturb, d or "no spike moves"))

    if problems:
        print("FAILED (spikeweave against Brian2):")
        for p in problems:
            print("  " + p)
        return 1
    print("OK: all %d spikes in the same step in spikeweave and Brian2%s" % (
        len(ours), ", and V_m, I_syn_ex, I_syn_in of every neuron equal bit for bit every %g ms"
        % (net["steps"] // net["samples"] * net["dt"]) if args.method == "explicit" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
