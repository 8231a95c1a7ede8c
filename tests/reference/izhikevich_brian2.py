#!/usr/bin/python3
"""Brian2 reference runs for spikeweave's built-in neuron models.

Runs single neurons in Brian2 (runtime mode, numpy target, dt = 0.1 ms) with
exactly the equations of spikeweave's models, and writes or checks a JSON of
the results that tests/core/brian2_crosscheck_test.cpp compares spikeweave
against:

  * models/izhikevich.hpp, forward Euler (`method='euler'`), 1000 ms, the
    cell classes of Izhikevich (2003), Fig. 2, with constant input I_ext = 10,
    starting at v = -65, u = b v; twice: with the equations as written (Brian2
    picks the order of the arithmetic) and, under "same_arithmetic", with the
    right-hand sides computed in spikeweave's order, which spikeweave must
    match bit for bit (FS and LTS are chaotic under Euler at this dt, so the
    rounding of the first run moves their late spikes; see the C++ test);
  * models/lif_curr_exp.hpp, `method='exact'`, and models/lif_cond_exp.hpp,
    `method='euler'`: a subthreshold response (every step recorded), a
    suprathreshold run with E_l = -49 mV as in Brian2's CUBA example, a fast
    run whose ISIs are a little longer than the 5 ms refractory period, and
    runs driven so hard that the refractory period alone sets the ISI.

Usage:
  izhikevich_brian2.py --write FILE   run Brian2 and write FILE
  izhikevich_brian2.py --check FILE   run Brian2 and compare with FILE
                                      (exit code 1 on any mismatch)
  izhikevich_brian2.py                run and print a summary

Conventions of the JSON (shared with the C++ test):
  * Every quantity is in spikeweave's units: ms, mV, the models' own current
    units; parameter and variable names are spikeweave's.
  * Step n advances the state from t = n dt to (n + 1) dt. A spike found in
    step n has Brian2 spike time n dt and is stored as the integer n; in
    spikeweave it is the neuron's entry in pop.spikes() after the (n+1)-th
    call of net.step().
  * trace.values[k] is the variable after step n = k * trace.every, i.e.
    after update, threshold and reset (Brian2: StateMonitor when='end', whose
    t is n dt; spikeweave: after the (n+1)-th net.step()).
  * Values are rounded to 14 significant digits, far below the tolerances.
  * --check: spike steps identical, traces within 1e-9 relative (|a - b| <=
    1e-9 max(1, |a|)) for both the exact and the Euler runs.

Order of evaluation (checked against Brian2's generated code, see --show-code):
  * Euler: every derivative from the values at the start of the step, then
    all variables advance (Brian2 `_v = ...; _u = ...; v = _v; u = _u`;
    spikeweave computes dv and du before assigning either).
  * Then the threshold on the new values, then the reset in the same step.
  * Refractoriness (LIF models, t_ref = 5 ms): Brian2 computes at the start
    of each step not_refractory = timestep(t - lastspike) >= timestep(t_ref)
    with timestep(x) = floor(x / dt + 1e-3), so after a spike in step k the
    steps k+1 ... k+49 hold v (49 steps) and step k+50 integrates and may
    fire again: v reads v_reset after steps k ... k+49, 50 = t_ref/dt values.
    spikeweave's counter does the same (population::refractory_steps).
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

# Izhikevich (2003), Fig. 2 / table: a, b, c, d.
IZHIKEVICH_CLASSES = {
    "RS": (0.02, 0.2, -65.0, 8.0),    # regular spiking
    "IB": (0.02, 0.2, -55.0, 4.0),    # intrinsically bursting
    "CH": (0.02, 0.2, -50.0, 2.0),    # chattering
    "FS": (0.1, 0.2, -65.0, 2.0),     # fast spiking
    "LTS": (0.02, 0.25, -65.0, 2.0),  # low-threshold spiking
    "TC": (0.02, 0.25, -65.0, 0.05),  # thalamo-cortical
    "RZ": (0.1, 0.26, -65.0, 2.0),    # resonator
}
IZHIKEVICH_I_EXT = 10.0
IZHIKEVICH_V_PEAK = 30.0
IZHIKEVICH_DURATION = 1000.0  # [ms]
IZHIKEVICH_TRACE_EVERY = 25
SAME_ARITHMETIC_TRACE_EVERY = 100

LIF_CURR_EXP_DEFAULTS = dict(tau_m=20.0, E_l=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                             tau_e=5.0, tau_i=10.0)
LIF_COND_EXP_DEFAULTS = dict(tau_m=20.0, E_l=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                             tau_e=5.0, tau_i=10.0, E_e=0.0, E_i=-80.0)

# Each LIF scenario: parameters (over the model defaults), initial values,
# duration [ms] and the trace subsampling.
LIF_SCENARIOS = {
    "lif_curr_exp": {
        # Subthreshold: an excitatory and an inhibitory input decaying from
        # their initial values; the peak stays below v_th.
        "subthreshold": dict(params={}, init=dict(v=-60.0, I_e=12.0, I_i=-4.0),
                             duration=100.0, every=1),
        # Brian2's CUBA example: E_l = -49 mV above threshold, plus an initial kick.
        "suprathreshold": dict(params=dict(E_l=-49.0), init=dict(v=-60.0, I_e=40.0, I_i=-5.0),
                               duration=1000.0, every=20),
        # Strong drive: ISIs of 10.7 ms, the 5 ms refractory plateaus visible in the trace.
        "fast": dict(params=dict(E_l=-20.0), init=dict(v=-60.0, I_e=0.0, I_i=0.0),
                     duration=100.0, every=1),
        # Drive so strong (E_l = 3000 mV) that one step from v_reset crosses v_th:
        # the neuron fires as soon as its refractory period ends, every 50 steps...
        "refractory_limited": dict(params=dict(E_l=3000.0), init=dict(v=-60.0, I_e=0.0, I_i=0.0),
                                   duration=20.0, every=1),
        # ... and with t_ref = 2.55 ms every floor(25.5 + 0.001) = 25 steps, not round(25.5) = 26.
        "refractory_fractional": dict(params=dict(E_l=3000.0, t_ref=2.55),
                                      init=dict(v=-60.0, I_e=0.0, I_i=0.0), duration=20.0, every=1),
    },
    "lif_cond_exp": {
        "subthreshold": dict(params={}, init=dict(v=-60.0, g_e=0.3, g_i=0.2),
                             duration=100.0, every=1),
        "suprathreshold": dict(params=dict(E_l=-49.0), init=dict(v=-60.0, g_e=0.5, g_i=0.3),
                               duration=1000.0, every=20),
        # A constant conductance (tau_e = 1e12 ms): v relaxes to -30 mV with tau_m / 2.
        "fast": dict(params=dict(tau_e=1e12), init=dict(v=-60.0, g_e=1.0, g_i=0.0),
                     duration=100.0, every=1),
        "refractory_limited": dict(params=dict(E_l=3000.0), init=dict(v=-60.0, g_e=0.0, g_i=0.0),
                                   duration=20.0, every=1),
    },
}

LIF_EQUATIONS = {
    "lif_curr_exp": """
        dv/dt = (E_l - v + I_e + I_i) / tau_m : 1 (unless refractory)
        dI_e/dt = -I_e / tau_e : 1
        dI_i/dt = -I_i / tau_i : 1
    """,
    "lif_cond_exp": """
        dv/dt = ((E_l - v) + g_e * (E_e - v) + g_i * (E_i - v)) / tau_m : 1 (unless refractory)
        dg_e/dt = -g_e / tau_e : 1
        dg_i/dt = -g_i / tau_i : 1
    """,
}
LIF_METHOD = {"lif_curr_exp": "exact", "lif_cond_exp": "euler"}
LIF_DEFAULTS = {"lif_curr_exp": LIF_CURR_EXP_DEFAULTS, "lif_cond_exp": LIF_COND_EXP_DEFAULTS}
TIME_PARAMETERS = ("tau_m", "tau_e", "tau_i", "t_ref")

# Tolerances of --check (see the module docstring).
TOLERANCE = {"exact": 1e-9, "euler": 1e-9}

SHOW_CODE = False


def rounded(values):
    return [float("%.14g" % x) for x in values]


def steps_of(spike_times, dt):
    """Brian2 spike times [s] to step indices."""
    return [int(round(t / dt)) for t in np.asarray(spike_times)]


def show_code(group):
    if SHOW_CODE:
        for obj in (group.state_updater, group.thresholder["spike"], group.resetter["spike"]):
            print(obj.codeobj.code.run)


# The right-hand sides of models/izhikevich.hpp with the C++ order of the
# floating-point operations (see run_izhikevich): `(0.04 v v + 5 v + 140 - u +
# I_ext + I)` summed left to right, I = 0; `a (b v - u)`.
def _izhikevich_dv(v, u, I_ext):
    return (((((0.04 * v) * v + 5.0 * v) + 140.0) - u) + I_ext) + 0.0


def _izhikevich_du(v, u, a, b):
    return a * ((b * v) - u)


IZHIKEVICH_EQUATIONS = {
    # The model's equations as written; Brian2 (sympy) chooses the order of
    # the arithmetic: 0.1 * ((150 + (0.04 v**2 + 5 v)) - u) + v.
    "as_written": """
        dv/dt = (0.04 * v**2 + 5 * v + 140 - u + I_ext) / ms : 1
        du/dt = a * (b * v - u) / ms : 1
    """,
    # The same equations with each derivative one function call that does the
    # arithmetic in spikeweave's order. Brian2's Euler step around it is
    # `0.1 * f + v`, which is spikeweave's `v += f * dt`: every operation the
    # same, so the runs must agree bit for bit.
    "same_arithmetic": """
        dv/dt = izhikevich_dv(v, u, I_ext) / ms : 1
        du/dt = izhikevich_du(v, u, a, b) / ms : 1
    """,
}


def run_izhikevich(arithmetic):
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    names = list(IZHIKEVICH_CLASSES)
    eqs = IZHIKEVICH_EQUATIONS[arithmetic] + """
        a : 1 (constant)
        b : 1 (constant)
        c : 1 (constant)
        d : 1 (constant)
    """
    namespace = dict(
        I_ext=IZHIKEVICH_I_EXT, v_peak=IZHIKEVICH_V_PEAK,
        izhikevich_dv=b2.Function(_izhikevich_dv, arg_units=[1, 1, 1], return_unit=1),
        izhikevich_du=b2.Function(_izhikevich_du, arg_units=[1, 1, 1, 1], return_unit=1))
    group = b2.NeuronGroup(len(names), eqs, threshold="v >= v_peak", reset="v = c; u += d",
                           method="euler", namespace=namespace)
    for name_index, name in enumerate(names):
        p_a, p_b, p_c, p_d = IZHIKEVICH_CLASSES[name]
        group.a[name_index] = p_a
        group.b[name_index] = p_b
        group.c[name_index] = p_c
        group.d[name_index] = p_d
        group.v[name_index] = -65.0
        group.u[name_index] = p_b * -65.0
    spikes = b2.SpikeMonitor(group)
    trace = b2.StateMonitor(group, "v", record=True, when="end")
    net = b2.Network(group, spikes, trace)
    net.run(IZHIKEVICH_DURATION * ms, namespace={})
    show_code(group)

    dt = float(b2.defaultclock.dt_)
    steps = int(round(IZHIKEVICH_DURATION / DT))
    trains = spikes.spike_trains()
    out = {}
    for name_index, name in enumerate(names):
        v = np.asarray(trace.v[name_index])
        assert len(v) == steps
        out[name] = (steps_of(trains[name_index], dt), v)
    return out


def izhikevich_results():
    as_written = run_izhikevich("as_written")
    same_arithmetic = run_izhikevich("same_arithmetic")
    steps = int(round(IZHIKEVICH_DURATION / DT))
    out = {}
    for name, (p_a, p_b, p_c, p_d) in IZHIKEVICH_CLASSES.items():
        spike_steps, v = as_written[name]
        out[name] = {
            "params": dict(a=p_a, b=p_b, c=p_c, d=p_d, v_peak=IZHIKEVICH_V_PEAK, I_ext=IZHIKEVICH_I_EXT),
            "init": dict(v=-65.0, u=p_b * -65.0),
            "duration": IZHIKEVICH_DURATION,
            "steps": steps,
            "method": "euler",
            "spike_count": len(spike_steps),
            "spike_steps": spike_steps,
            "trace": {"variable": "v", "every": IZHIKEVICH_TRACE_EVERY,
                      "values": rounded(v[::IZHIKEVICH_TRACE_EVERY])},
            # The run with spikeweave's order of the arithmetic (see IZHIKEVICH_EQUATIONS).
            "same_arithmetic": {
                "spike_steps": same_arithmetic[name][0],
                "trace": {"variable": "v", "every": SAME_ARITHMETIC_TRACE_EVERY,
                          "values": rounded(same_arithmetic[name][1][::SAME_ARITHMETIC_TRACE_EVERY])},
            },
        }
    return out


def run_lif(model, scenario):
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    params = dict(LIF_DEFAULTS[model])
    params.update(scenario["params"])
    namespace = {k: (val * ms if k in TIME_PARAMETERS else val) for k, val in params.items()}
    group = b2.NeuronGroup(1, LIF_EQUATIONS[model], threshold="v > v_th", reset="v = v_reset",
                           refractory=params["t_ref"] * ms, method=LIF_METHOD[model],
                           namespace=namespace)
    for var, val in scenario["init"].items():
        setattr(group, var, val)
    spikes = b2.SpikeMonitor(group)
    trace = b2.StateMonitor(group, "v", record=0, when="end")
    net = b2.Network(group, spikes, trace)
    net.run(scenario["duration"] * ms, namespace={})
    show_code(group)

    dt = float(b2.defaultclock.dt_)
    steps = int(round(scenario["duration"] / DT))
    spike_steps = steps_of(spikes.t_, dt)
    v = np.asarray(trace.v[0])
    assert len(v) == steps
    every = scenario["every"]
    return {
        "params": params,
        "init": dict(scenario["init"]),
        "duration": scenario["duration"],
        "steps": steps,
        "method": LIF_METHOD[model],
        "spike_count": len(spike_steps),
        "spike_steps": spike_steps,
        "trace": {"variable": "v", "every": every, "values": rounded(v[::every])},
    }


def run_all():
    results = {
        "about": ("Brian2 %s reference runs of spikeweave's neuron models, written by "
                  "tests/reference/izhikevich_brian2.py; see its docstring for the conventions."
                  % b2.__version__),
        "dt": DT,
        "izhikevich": izhikevich_results(),
    }
    for model, scenarios in LIF_SCENARIOS.items():
        results[model] = {name: run_lif(model, s) for name, s in scenarios.items()}
    return results


def runs(results):
    """(label, run) for every single-neuron run in the results."""
    for group in ("izhikevich", "lif_curr_exp", "lif_cond_exp"):
        for name, run in results[group].items():
            yield "%s/%s" % (group, name), run


def compare_spikes(label, stored, now, problems):
    if stored is None or now is None:
        problems.append("%s: spike steps only in the %s results" % (label, "stored" if now is None else "new"))
    elif stored != now:
        first = next((i for i in range(min(len(stored), len(now))) if stored[i] != now[i]),
                     min(len(stored), len(now)))
        problems.append("%s: spike steps differ: stored %d spikes, now %d; first difference at spike #%d "
                        "(stored %s, now %s)" % (label, len(stored), len(now), first,
                                                 stored[first:first + 5], now[first:first + 5]))


def compare(expected, actual):
    """List of readable differences between two result sets."""
    problems = []
    if expected.get("dt") != actual.get("dt"):
        problems.append("dt: expected %r, got %r" % (expected.get("dt"), actual.get("dt")))
    exp_runs = dict(runs(expected))
    act_runs = dict(runs(actual))
    for label in sorted(set(exp_runs) | set(act_runs)):
        if label not in exp_runs or label not in act_runs:
            problems.append("%s: only in the %s results" % (label, "new" if label in act_runs else "stored"))
            continue
        e, a = exp_runs[label], act_runs[label]
        for key in ("params", "init", "steps", "method"):
            if e[key] != a[key]:
                problems.append("%s: %s differ: stored %r, now %r" % (label, key, e[key], a[key]))
        compare_spikes(label, e["spike_steps"], a["spike_steps"], problems)
        if "same_arithmetic" in e or "same_arithmetic" in a:
            compare_spikes(label + " (same arithmetic)", e.get("same_arithmetic", {}).get("spike_steps"),
                           a.get("same_arithmetic", {}).get("spike_steps"), problems)
        if e["spike_count"] != len(e["spike_steps"]):
            problems.append("%s: stored spike_count %d does not match its %d spike steps"
                            % (label, e["spike_count"], len(e["spike_steps"])))
        tol = TOLERANCE[e["method"]]
        compare_trace(label, e["trace"], a["trace"], tol, problems)
        if "same_arithmetic" in e and "same_arithmetic" in a:
            compare_trace(label + " (same arithmetic)", e["same_arithmetic"]["trace"],
                          a["same_arithmetic"]["trace"], tol, problems)
    return problems


def compare_trace(label, et, at, tol, problems):
    if et["every"] != at["every"] or len(et["values"]) != len(at["values"]):
        problems.append("%s: trace layout differs (every %r/%r, %d/%d values)"
                        % (label, et["every"], at["every"], len(et["values"]), len(at["values"])))
        return
    worst, worst_k, bad = 0.0, -1, 0
    for k, (x, y) in enumerate(zip(et["values"], at["values"])):
        err = abs(x - y) / max(1.0, abs(x))
        if not math.isfinite(y) or err > tol:
            bad += 1
        if not (err <= worst):
            worst, worst_k = err, k
    if bad:
        k = worst_k
        problems.append("%s: %d of %d trace values differ by more than %g (relative); worst at "
                        "step %d: stored %.17g, now %.17g" % (label, bad, len(et["values"]), tol,
                                                             k * et["every"], et["values"][k],
                                                             at["values"][k]))


def summary(results):
    lines = []
    for label, run in runs(results):
        steps = run["spike_steps"]
        isis = np.diff(steps) * DT
        isi_text = ("ISI %.1f..%.1f ms" % (isis.min(), isis.max())) if len(isis) else "no ISI"
        lines.append("%-36s %4d spikes  first at step %s  %s"
                     % (label, run["spike_count"], steps[0] if steps else "-", isi_text))
        if "same_arithmetic" in run:
            other = run["same_arithmetic"]["spike_steps"]
            first = next((i for i in range(min(len(steps), len(other))) if steps[i] != other[i]), None)
            if first is None and len(steps) == len(other):
                lines.append("%-36s same spikes with spikeweave's arithmetic" % "")
            else:
                lines.append("%-36s with spikeweave's arithmetic: %d spikes, from spike #%d on at %s, not %s"
                             % ("", len(other), first, other[first:first + 3], steps[first:first + 3]))
    return "\n".join(lines)


def main():
    global SHOW_CODE
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", help="write the reference JSON")
    group.add_argument("--check", metavar="FILE", help="compare with the reference JSON")
    parser.add_argument("--show-code", action="store_true", help="print Brian2's generated code")
    args = parser.parse_args()
    SHOW_CODE = args.show_code

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
