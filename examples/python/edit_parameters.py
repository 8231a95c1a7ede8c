#!/usr/bin/python3
"""Edits a spikeweave parameter file the way a user would between two runs.

usage: edit_parameters.py network.json
Makes pop1 fast-spiking (a = 0.1) and triples the depression of proj0's STDP.
"""
import json
import sys

path = sys.argv[1]
with open(path) as f:
    params = json.load(f)
params["populations"]["pop1"]["a"] = 0.1
params["projections"]["proj0"]["A_minus"] *= 3
params["network"]["edited_by"] = "edit_parameters.py"
with open(path, "w") as f:
    json.dump(params, f, indent=4)
print(f"edit_parameters.py: pop1.a = 0.1, proj0.A_minus = {params['projections']['proj0']['A_minus']:g}")
