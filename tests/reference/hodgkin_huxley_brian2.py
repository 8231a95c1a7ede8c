#!/usr/bin/python3
"""Brian2 reference runs for spikeweave's hodgkin_huxley model (the COBAHH neuron).

Runs single neurons in Brian2 (runtime mode, numpy target, dt = 0.1 ms,
`method='exponential_euler'`, as Brian2's COBAHH example) with exactly the
equations of include/spikeweave/models/hodgkin_huxley.hpp, and writes or
checks a JSON of the results that tests/model/hodgkin_huxley_brian2_test.cpp
compares spikeweave against. Scenarios:

  * spontaneous: no input, from v = E_l with the gates at steady state; the
    benchmark cell has no resting state and fires at 13 Hz;
  * driven: a constant current I_e = 200 pA;
  * synaptic: held at rest by I_e = -60 pA, then an excitatory conductance
    of 20 nS and an inhibitory one of 5 nS at t = 0 give a single spike;
  * subthreshold: held by I_e = -100 pA, a 3 nS excitatory conductance.

Usage:
  hodgkin_huxley_brian2.py --write FILE   run Brian2 and write FILE
  hodgkin_huxley_brian2.py --check FILE   run Brian2 and compare with FILE
                                          (exit code 1 on any mismatch)
  hodgkin_huxley_brian2.py                run and print a summary

Conventions of the JSON (those of izhikevich_brian2.py):
  * Units are spikeweave's: mV, ms, pF, nS, pA; membrane parameters as
    densities (C_m [uF/cm^2], g_l, g_na, g_kd [mS/cm^2]) on `area` [um^2], so
    C = C_m area 1e-2 pF and G = g area 1e-2 nS. Names are spikeweave's.
  * Step n advances the state from n dt to (n + 1) dt; a spike found in step n
    is stored as n (Brian2 time n dt; spikeweave: the neuron is in
    pop.spikes() after the (n+1)-th net.step()).
  * trace[var].values[k] is var after step n = k * trace[var].every
    (StateMonitor when='end'; v every 2 steps, m, h, n, g_e every 10); values
    rounded to 14 significant digits; "init" at full precision, so both
    simulators start from the same bits.
  * A spike is v > v_th after a step that began with v <= v_th (Brian2:
    threshold='v > v_th', refractory='v > v_th', whose not_refractory is
    computed from v at the start of the step).
  * --check: spike steps identical, every trace within 1e-9 (relative,
    |a - b| <= 1e-9 max(1, |a|)) of the stored one: Brian2 must reproduce itself.
"""

import argparse
import json
import math
import sys
import warnings

warnings.filterwarnings("ignore")  # Debian's pythran warns about numpy on import

import numpy as np  # noqa: E402
import brian2 as b2  # noqa: E402
from brian2 import ms  # noqa: E402

b2.prefs.codegen.target = "numpy"
b2.prefs.logging.console_log_level = "ERROR"

DT = 0.1  # [ms]

# The defaults of models/hodgkin_huxley.hpp (Brette et al. 2007, benchmark 3).
DEFAULTS = dict(area=20000.0, C_m=1.0, g_l=0.05, g_na=100.0, g_kd=30.0, E_l=-60.0, E_Na=50.0, E_K=-90.0,
                V_T=-63.0, v_th=-20.0, tau_e=5.0, tau_i=10.0, E_e=0.0, E_i=-80.0, I_e=0.0)

# The model's equations, dimensionless in spikeweave's units (time in ms).
EQUATIONS = """
    dv/dt = (G_l * (E_l - v) + g_e * (E_e - v) + g_i * (E_i - v)
             + G_na * m**3 * h * (E_Na - v) + G_kd * n**4 * (E_K - v) + I_e) / C / ms : 1
    dm/dt = (alpha_m * (1 - m) - beta_m * m) / ms : 1
    dh/dt = (alpha_h * (1 - h) - beta_h * h) / ms : 1
    dn/dt = (alpha_n * (1 - n) - beta_n * n) / ms : 1
    dg_e/dt = -g_e / (tau_e * ms) : 1
    dg_i/dt = -g_i / (tau_i * ms) : 1
    alpha_m = 0.32 * 4 / exprel((13 - v + V_T) / 4) : 1
    beta_m = 0.28 * 5 / exprel((v - V_T - 40) / 5) : 1
    alpha_h = 0.128 * exp((17 - v + V_T) / 18) : 1
    beta_h = 4 / (1 + exp((40 - v + V_T) / 5)) : 1
    alpha_n = 0.032 * 5 / exprel((15 - v + V_T) / 5) : 1
    beta_n = 0.5 * exp((10 - v + V_T) / 40) : 1
"""

SCENARIOS = {
    "spontaneous": dict(params={}, init="initial", kick={}, duration=300.0),
    "driven": dict(params=dict(I_e=200.0), init="initial", kick={}, duration=200.0),
    "synaptic": dict(params=dict(I_e=-60.0), init="rest", kick=dict(g_e=20.0, g_i=5.0), duration=100.0),
    "subthreshold": dict(params=dict(I_e=-100.0), init="rest", kick=dict(g_e=3.0), duration=100.0),
}

# Recorded variables and every how many steps (v densely enough to follow a spike).
TRACED = dict(v=2, m=10, h=10, n=10, g_e=10)
TOLERANCE = 1e-9


def rates(v, p):
    u = v - p["V_T"]

    def x_over_expm1(x):
        return 1.0 if x == 0 else x / math.expm1(x)

    return (0.32 * 4 * x_over_expm1((13 - u) / 4), 0.28 * 5 * x_over_expm1((u - 40) / 5),
            0.128 * math.exp((17 - u) / 18), 4 / (1 + math.exp((40 - u) / 5)),
            0.032 * 5 * x_over_expm1((15 - u) / 5), 0.5 * math.exp((10 - u) / 40))


def steady(v, p):
    am, bm, ah, bh, an, bn = rates(v, p)
    return dict(v=v, m=am / (am + bm), h=ah / (ah + bh), n=an / (an + bn), g_e=0.0, g_i=0.0)


def rest(p):
    """The lowest equilibrium for p's I_e (below the saddle-node at -31.8 pA), by bisection."""
    cell = p["area"] * 1e-2

    def current(v):
        s = steady(v, p)
        return (p["g_l"] * cell * (p["E_l"] - v) + p["g_na"] * cell * s["m"] ** 3 * s["h"] * (p["E_Na"] - v)
                + p["g_kd"] * cell * s["n"] ** 4 * (p["E_K"] - v) + p["I_e"])

    lo = hi = -120.0
    while current(hi) > 0:
        hi += 0.25
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi:
            break
        if current(mid) > 0:
            lo = mid
        else:
            hi = mid
    return steady(lo, p)


def rounded(values):
    return [float("%.14g" % x) for x in values]


def run(scenario):
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    p = dict(DEFAULTS)
    p.update(scenario["params"])
    init = steady(p["E_l"], p) if scenario["init"] == "initial" else rest(p)
    init.update(scenario["kick"])
    cell = p["area"] * 1e-2
    namespace = dict(p)
    namespace.update(C=p["C_m"] * cell, G_l=p["g_l"] * cell, G_na=p["g_na"] * cell, G_kd=p["g_kd"] * cell)
    group = b2.NeuronGroup(1, EQUATIONS, threshold="v > v_th", refractory="v > v_th",
                           method="exponential_euler", namespace=namespace)
    for var, val in init.items():
        setattr(group, var, val)
    spikes = b2.SpikeMonitor(group)
    trace = b2.StateMonitor(group, list(TRACED), record=0, when="end")
    net = b2.Network(group, spikes, trace)
    net.run(scenario["duration"] * ms, namespace={})

    steps = int(round(scenario["duration"] / DT))
    dt = float(b2.defaultclock.dt_)
    spike_steps = [int(round(t / dt)) for t in np.asarray(spikes.t_)]
    traces = {}
    for var, every in TRACED.items():
        values = np.asarray(getattr(trace, var)[0])
        assert len(values) == steps
        traces[var] = {"every": every, "values": rounded(values[::every])}
    return {
        "params": p,
        "init": init,
        "duration": scenario["duration"],
        "steps": steps,
        "method": "exponential_euler",
        "spike_count": len(spike_steps),
        "spike_steps": spike_steps,
        "trace": traces,
    }


def run_all():
    return {
        "about": ("Brian2 %s reference runs of spikeweave's hodgkin_huxley model, written by "
                  "tests/reference/hodgkin_huxley_brian2.py; see its docstring for the conventions."
                  % b2.__version__),
        "dt": DT,
        "hodgkin_huxley": {name: run(s) for name, s in SCENARIOS.items()},
    }


def compare(expected, actual):
    """List of readable differences between two result sets."""
    problems = []
    if expected.get("dt") != actual.get("dt"):
        problems.append("dt: expected %r, got %r" % (expected.get("dt"), actual.get("dt")))
    e_runs, a_runs = expected["hodgkin_huxley"], actual["hodgkin_huxley"]
    for name in sorted(set(e_runs) | set(a_runs)):
        if name not in e_runs or name not in a_runs:
            problems.append("%s: only in the %s results" % (name, "new" if name in a_runs else "stored"))
            continue
        e, a = e_runs[name], a_runs[name]
        for key in ("params", "steps", "method"):
            if e[key] != a[key]:
                problems.append("%s: %s differ: stored %r, now %r" % (name, key, e[key], a[key]))
        for var in e["init"]:
            if abs(e["init"][var] - a["init"][var]) > 1e-14 * max(1.0, abs(e["init"][var])):
                problems.append("%s: initial %s differs: stored %r, now %r" % (name, var, e["init"][var],
                                                                             a["init"][var]))
        if e["spike_steps"] != a["spike_steps"]:
            problems.append("%s: spike steps differ: stored %s, now %s" % (name, e["spike_steps"][:8],
                                                                          a["spike_steps"][:8]))
        for var, every in TRACED.items():
            ev, av = e["trace"][var]["values"], a["trace"][var]["values"]
            if e["trace"][var]["every"] != every or len(ev) != len(av):
                problems.append("%s: trace of %s has %d values, now %d" % (name, var, len(ev), len(av)))
                continue
            bad = [k for k, (x, y) in enumerate(zip(ev, av))
                   if not math.isfinite(y) or abs(x - y) > TOLERANCE * max(1.0, abs(x))]
            if bad:
                k = bad[0]
                problems.append("%s: %d values of %s differ by more than %g; first at step %d: stored %.17g, "
                                "now %.17g" % (name, len(bad), var, TOLERANCE, k * every, ev[k],
                                               av[k]))
    return problems


def summary(results):
    lines = []
    for name, r in results["hodgkin_huxley"].items():
        v = r["trace"]["v"]["values"]
        lines.append("%-14s I_e = %6.1f pA  %3d spikes  first at step %s  v from %.2f to %.2f mV"
                     % (name, r["params"]["I_e"], r["spike_count"],
                        r["spike_steps"][0] if r["spike_steps"] else "-", min(v), max(v)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", help="write the reference JSON")
    group.add_argument("--check", metavar="FILE", help="compare with the reference JSON")
    args = parser.parse_args()

    results = run_all()
    print(summary(results))
    if args.write:
        with open(args.write, "w") as f:
            json.dump(results, f, separators=(",", ":"))
            f.write("\n")
        print("wrote %s" % args.write)
        return 0
    if args.check:
        with open(args.check) as f:
            expected = json.load(f)
        problems = compare(expected, json.loads(json.dumps(results)))
        if problems:
            print("MISMATCH with %s:" % args.check)
            for p in problems:
                print("  " + p)
            return 1
        print("OK: Brian2 %s reproduces %s" % (b2.__version__, args.check))
    return 0


if __name__ == "__main__":
    sys.exit(main())
