"""Scenarios: the hook objects, reading and checking scenario files, baseline chains, combining,
and compiling a scenario to the model's parameter paths.
"""
