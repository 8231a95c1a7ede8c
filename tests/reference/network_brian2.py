#!/usr/bin/python3
"""Brian2 reference runs of small recurrent networks for spikeweave's projections.

Defines two small deterministic networks, runs them in Brian2 (runtime mode,
numpy target, dt = 0.1 ms, 1000 ms) and writes or checks a JSON with their
definition and Brian2's spikes, which tests/core/network_crosscheck_test.cpp
builds in spikeweave and compares against:

  * "coba": models/lif_cond_exp.hpp, forward Euler (`method='euler'`),
    populations E (32 neurons) and I (8), projections EE and EI onto g_e, IE
    and II onto g_i;
  * "cuba": models/lif_curr_exp.hpp, exact propagation (`method='exact'`),
    the same populations, projections onto I_e (weights > 0) and I_i
    (weights < 0).

Every projection is static_synapse (`on_pre: target += w`) with explicit
synapses (pre, post, w) drawn once here from numpy's legacy RandomState with a
fixed seed and stored in the JSON; some projections have a delay per synapse
(1 to 15 steps), the others one delay for all. There is no noise: the drive
is a leak reversal E_l above threshold (as in Brian2's CUBA example) plus
heterogeneous initial values, also stored per neuron.

Usage:
  network_brian2.py --write FILE   generate the networks, run Brian2, write FILE
  network_brian2.py --check FILE   run Brian2 on the networks stored in FILE and
                                   compare with its spikes and final state; also
                                   check that this script still generates the
                                   same networks (exit code 1 on any mismatch)
  network_brian2.py                generate, run and print a summary

Conventions of the JSON (shared with the C++ test, as in izhikevich_brian2.py):
  * Units and names are spikeweave's (ms, mV, g in units of g_L).
  * Step n advances the state from t = n dt to (n + 1) dt. A spike found in
    step n is stored as the integer n (Brian2: spike time n dt; spikeweave:
    the neuron is in pop.spikes() after the (n+1)-th net.step()).
  * Delays are whole steps: "delay_steps" is a list (one per synapse) or one
    integer for the whole projection. Brian2 gets delay = steps * dt; its
    spike queue rounds delay / dt to the nearest step, as spikeweave does.
    A spike of step n with delay d is delivered in step n + d: Brian2 in the
    'synapses' slot (after thresholds, before resets), spikeweave after every
    population's update; either way the post-synaptic neuron sees it in its
    update of step n + d + 1. The targets are conductances or currents, never
    v, so that Brian2's reset coming after delivery and spikeweave's before
    makes no difference.
  * Synapses are listed sorted by (pre, post), and that is their order in
    Brian2: spikes reaching one neuron in one step are added in the order
    oldest emission first, then ascending pre, then ascending post, as
    spikeweave does (Brian2's spike queue keeps that order; the numpy target
    adds with numpy.add.at in queue order).
  * "final" is every variable of every neuron after the last step (after
    reset and delivery), rounded to 14 significant digits. --check requires
    identical spike steps and final values within 1e-9 (relative, as
    |a - b| <= 1e-9 max(1, |a|)).
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

DT = 0.1            # [ms]
DURATION = 1000.0   # [ms]
STEPS = int(round(DURATION / DT))
TOLERANCE = 1e-9    # final state, relative

MODEL_DEFAULTS = {
    "lif_cond_exp": dict(tau_m=20.0, E_l=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                         tau_e=5.0, tau_i=10.0, E_e=0.0, E_i=-80.0),
    "lif_curr_exp": dict(tau_m=20.0, E_l=-60.0, v_th=-50.0, v_reset=-60.0, t_ref=5.0,
                         tau_e=5.0, tau_i=10.0),
}
EQUATIONS = {
    # Exactly the equations of the model headers.
    "lif_cond_exp": """
        dv/dt = ((E_l - v) + g_e * (E_e - v) + g_i * (E_i - v)) / tau_m : 1 (unless refractory)
        dg_e/dt = -g_e / tau_e : 1
        dg_i/dt = -g_i / tau_i : 1
    """,
    "lif_curr_exp": """
        dv/dt = (E_l - v + I_e + I_i) / tau_m : 1 (unless refractory)
        dI_e/dt = -I_e / tau_e : 1
        dI_i/dt = -I_i / tau_i : 1
    """,
}
VARIABLES = {"lif_cond_exp": ("v", "g_e", "g_i"), "lif_curr_exp": ("v", "I_e", "I_i")}
TIME_PARAMETERS = ("tau_m", "tau_e", "tau_i", "t_ref")

# The networks. Per population: size, parameters over the model defaults and
# the ranges of the uniformly drawn initial values. Per projection: pre, post,
# target, connection probability, self-connections, the range of the uniformly
# drawn weights, and the delay: an integer number of steps for all synapses
# or (lo, hi) for a delay per synapse drawn uniformly from lo..hi steps.
# E_l = -49 mV (E) and -50.5 mV (I) against v_th = -50 mV: E fires on its own
# (about 19 Hz alone), I mostly through E's input.
NETWORKS = {
    "coba": dict(
        model="lif_cond_exp", method="euler", seed=20240601,
        populations={
            "E": dict(size=32, params=dict(E_l=-49.0),
                      init=dict(v=(-60.0, -50.0), g_e=(0.0, 0.1), g_i=(0.0, 0.2))),
            "I": dict(size=8, params=dict(E_l=-50.5),
                      init=dict(v=(-60.0, -50.0), g_e=(0.0, 0.1), g_i=(0.0, 0.2))),
        },
        projections=[
            dict(name="EE", pre="E", post="E", target="g_e", p=0.2, self=False, w=(0.01, 0.05), delay=(1, 15)),
            dict(name="EI", pre="E", post="I", target="g_e", p=0.3, self=False, w=(0.02, 0.08), delay=10),
            dict(name="IE", pre="I", post="E", target="g_i", p=0.4, self=False, w=(0.03, 0.12), delay=(1, 15)),
            dict(name="II", pre="I", post="I", target="g_i", p=0.3, self=False, w=(0.05, 0.2), delay=1),
        ],
    ),
    "cuba": dict(
        model="lif_curr_exp", method="exact", seed=20240602,
        populations={
            "E": dict(size=32, params=dict(E_l=-49.0),
                      init=dict(v=(-60.0, -50.0), I_e=(0.0, 2.0), I_i=(-2.0, 0.0))),
            "I": dict(size=8, params=dict(E_l=-50.5),
                      init=dict(v=(-60.0, -50.0), I_e=(0.0, 2.0), I_i=(-2.0, 0.0))),
        },
        projections=[
            dict(name="EE", pre="E", post="E", target="I_e", p=0.2, self=False, w=(0.2, 1.0), delay=5),
            dict(name="EI", pre="E", post="I", target="I_e", p=0.4, self=False, w=(0.8, 2.0), delay=(1, 15)),
            dict(name="IE", pre="I", post="E", target="I_i", p=0.4, self=False, w=(-3.0, -1.0), delay=(1, 15)),
            dict(name="II", pre="I", post="I", target="I_i", p=0.3, self=False, w=(-3.0, -1.0), delay=2),
        ],
    ),
}


def rounded(values, digits=14):
    return [float("%.*g" % (digits, x)) for x in values]


def steps_of(spike_times, dt):
    """Brian2 spike times [s] to step indices."""
    return [int(round(t / dt)) for t in np.asarray(spike_times)]


# ---------------------------------------------------------------------------
# Definition: the networks as explicit lists.

def generate(spec):
    """The definition of one network (everything spikeweave needs to build it)."""
    rng = np.random.RandomState(spec["seed"])
    model = spec["model"]
    out = {"model": model, "method": spec["method"], "seed": spec["seed"], "populations": {},
           "projections": []}
    for name, pop in spec["populations"].items():
        params = dict(MODEL_DEFAULTS[model])
        params.update(pop["params"])
        init = {}
        for var in VARIABLES[model]:
            lo, hi = pop["init"][var]
            # 8 decimals: exact as decimal text, so Python and C++ read the same doubles.
            init[var] = [round(float(x), 8) for x in rng.uniform(lo, hi, pop["size"])]
        out["populations"][name] = {"size": pop["size"], "params": params, "init": init}
    for proj in spec["projections"]:
        n_pre = spec["populations"][proj["pre"]]["size"]
        n_post = spec["populations"][proj["post"]]["size"]
        same = proj["pre"] == proj["post"]
        connected = rng.uniform(size=(n_pre, n_post)) < proj["p"]
        if same and not proj["self"]:
            np.fill_diagonal(connected, False)
        pre, post = np.nonzero(connected)  # row-major: sorted by (pre, post)
        n = len(pre)
        w = [round(float(x), 8) for x in rng.uniform(proj["w"][0], proj["w"][1], n)]
        if isinstance(proj["delay"], int):
            delay = proj["delay"]
        else:
            delay = [int(d) for d in rng.randint(proj["delay"][0], proj["delay"][1] + 1, n)]
        out["projections"].append({
            "name": proj["name"], "pre": proj["pre"], "post": proj["post"], "target": proj["target"],
            "pre_index": [int(i) for i in pre], "post_index": [int(j) for j in post],
            "w": w, "delay_steps": delay,
        })
    return out


# ---------------------------------------------------------------------------
# Brian2.

def run_brian2(definition, perturb_v=0.0):
    """Spike steps per neuron and final state of every population."""
    b2.start_scope()
    b2.defaultclock.dt = DT * ms
    model = definition["model"]
    groups = {}
    for name, pop in definition["populations"].items():
        params = pop["params"]
        namespace = {k: (val * ms if k in TIME_PARAMETERS else val) for k, val in params.items()}
        group = b2.NeuronGroup(pop["size"], EQUATIONS[model], threshold="v > v_th", reset="v = v_reset",
                               refractory=params["t_ref"] * ms, method=definition["method"],
                               namespace=namespace, name="pop_" + name)
        for var, values in pop["init"].items():
            values = np.asarray(values, dtype=float)
            if var == "v":  # alternately up and down
                values = values + perturb_v * (1 - 2 * (np.arange(len(values)) % 2))
            setattr(group, var, values)
        groups[name] = group
    synapses = []
    for proj in definition["projections"]:
        s = b2.Synapses(groups[proj["pre"]], groups[proj["post"]], model="w : 1",
                        on_pre="%s_post += w" % proj["target"], namespace={}, name="proj_" + proj["name"])
        pre = np.asarray(proj["pre_index"], dtype=int)
        post = np.asarray(proj["post_index"], dtype=int)
        if len(pre):
            s.connect(i=pre, j=post)
            s.w = np.asarray(proj["w"], dtype=float)
            s.delay = np.asarray(proj["delay_steps"], dtype=float) * DT * ms
        # Brian2 keeps the synapses in the order given, which is (pre, post).
        assert list(s.i[:]) == list(pre) and list(s.j[:]) == list(post)
        synapses.append(s)
    monitors = {name: b2.SpikeMonitor(g) for name, g in groups.items()}
    net = b2.Network(*groups.values(), *synapses, *monitors.values())
    net.run(DURATION * ms, namespace={})

    dt = float(b2.defaultclock.dt_)
    results = {}
    for name, group in groups.items():
        trains = monitors[name].spike_trains()
        spike_steps = [steps_of(trains[k], dt) for k in range(len(group))]
        results[name] = {
            "spike_count": int(sum(len(s) for s in spike_steps)),
            "spike_steps": spike_steps,
            "final": {var: rounded(np.asarray(getattr(group, var)[:])) for var in VARIABLES[model]},
        }
    return results


def run_all():
    out = {
        "about": ("Brian2 %s reference runs of small networks of spikeweave's LIF models with "
                  "explicit synapses and delays, written by tests/reference/network_brian2.py; "
                  "see its docstring for the conventions." % b2.__version__),
        "dt": DT,
        "duration": DURATION,
        "steps": STEPS,
        "networks": {},
    }
    for name, spec in NETWORKS.items():
        definition = generate(spec)
        definition["brian2"] = run_brian2(definition)
        out["networks"][name] = definition
    return out


# ---------------------------------------------------------------------------
# Comparison and summary.

def definition_of(network):
    return {k: v for k, v in network.items() if k != "brian2"}


def first_difference(a, b):
    return next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))


def compare(expected, actual, problems, label):
    for pop, e in expected.items():
        if pop not in actual:
            problems.append("%s/%s: population missing in the new results" % (label, pop))
            continue
        a = actual[pop]
        if e["spike_count"] != sum(len(s) for s in e["spike_steps"]):
            problems.append("%s/%s: stored spike_count %d does not match its spike steps" % (label, pop, e["spike_count"]))
        if len(e["spike_steps"]) != len(a["spike_steps"]):
            problems.append("%s/%s: %d neurons stored, %d now" % (label, pop, len(e["spike_steps"]), len(a["spike_steps"])))
            continue
        bad = []
        for k, (es, as_) in enumerate(zip(e["spike_steps"], a["spike_steps"])):
            if es != as_:
                i = first_difference(es, as_)
                bad.append("neuron %d: stored %d spikes, now %d, first difference at spike #%d (stored %s, now %s)"
                           % (k, len(es), len(as_), i, es[i:i + 3], as_[i:i + 3]))
        if bad:
            problems.append("%s/%s: spike steps differ for %d of %d neurons (stored %d spikes, now %d); %s"
                            % (label, pop, len(bad), len(e["spike_steps"]), e["spike_count"], a["spike_count"],
                               "; ".join(bad[:3]) + ("; ..." if len(bad) > 3 else "")))
        for var, ev in e["final"].items():
            av = a["final"].get(var)
            if av is None or len(av) != len(ev):
                problems.append("%s/%s: final %s missing or of another size" % (label, pop, var))
                continue
            errs = [abs(x - y) / max(1.0, abs(x)) if math.isfinite(y) else math.inf for x, y in zip(ev, av)]
            k = int(np.argmax(errs))
            if errs[k] > TOLERANCE:
                problems.append("%s/%s: final %s differs by more than %g (relative) for %d neurons; worst: neuron "
                                "%d, stored %.17g, now %.17g" % (label, pop, var, TOLERANCE,
                                                                 sum(x > TOLERANCE for x in errs), k, ev[k], av[k]))


def summary(results):
    lines = []
    for name, net in results["networks"].items():
        syn = ", ".join("%s %d synapses (delay %s)" % (p["name"], len(p["pre_index"]),
                                                      "%d..%d steps" % (min(p["delay_steps"]), max(p["delay_steps"]))
                                                      if isinstance(p["delay_steps"], list) and p["delay_steps"]
                                                      else "%s steps" % p["delay_steps"])
                        for p in net["projections"])
        lines.append("%s (%s, %s): %s" % (name, net["model"], net["method"], syn))
        for pop, r in net["brian2"].items():
            n = len(r["spike_steps"])
            rates = [len(s) / (DURATION / 1000.0) for s in r["spike_steps"]]
            lines.append("  %s: %d neurons, %d spikes, mean rate %.1f Hz (%.0f..%.0f Hz per neuron)"
                         % (pop, n, r["spike_count"], r["spike_count"] / n / (DURATION / 1000.0),
                            min(rates), max(rates)))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", metavar="FILE", help="write the reference JSON")
    group.add_argument("--check", metavar="FILE", help="compare with the reference JSON")
    parser.add_argument("--perturb", type=float, default=0.0, metavar="MV",
                        help="(without --check) also run with each initial v moved by MV, alternately up "
                             "and down, and report which spikes move: how sensitive the networks are")
    args = parser.parse_args()

    if args.check:
        with open(args.check) as f:
            stored = json.load(f)
        problems = []
        for key, val in (("dt", DT), ("duration", DURATION), ("steps", STEPS)):
            if stored.get(key) != val:
                problems.append("%s: stored %r, the script uses %r" % (key, stored.get(key), val))
        if sorted(stored["networks"]) != sorted(NETWORKS):
            problems.append("networks: stored %s, the script defines %s" % (sorted(stored["networks"]), sorted(NETWORKS)))
        for name, net in stored["networks"].items():
            # Brian2 on the stored network must give the stored spikes ...
            now = run_brian2(net)
            compare(net["brian2"], json.loads(json.dumps(now)), problems, name)
            # ... and the script must still generate that network.
            if name in NETWORKS and json.loads(json.dumps(generate(NETWORKS[name]))) != definition_of(net):
                problems.append("%s: the stored definition is not what this script generates "
                                "(rewrite with --write)" % name)
        print(summary(stored))
        if problems:
            print("MISMATCH with %s:" % args.check)
            for p in problems:
                print("  " + p)
            return 1
        print("OK: Brian2 %s reproduces %s" % (b2.__version__, args.check))
        return 0

    results = run_all()
    print(summary(results))
    if args.perturb:
        for name, net in results["networks"].items():
            moved = run_brian2(definition_of(net), perturb_v=args.perturb)
            problems = []
            compare(net["brian2"], moved, problems, name)
            print("%s with each initial v moved by +-%g mV: %s"
                  % (name, args.perturb, "no spike moves" if not any("spike" in p for p in problems)
                     else "; ".join(p for p in problems if "spike" in p)))
    if args.write:
        with open(args.write, "w") as f:
            json.dump(results, f, separators=(",", ":"))
            f.write("\n")
        print("wrote %s" % args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main())
