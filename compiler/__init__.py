"""policyc: a policy-as-data compiler for Chinese government regulations (办法).

Pipeline (one module per stage): yamlsrc (load) → schema → model → check (expressions, names,
types, units, references, coverage) → codegen / interpret → cli.
"""

__version__ = "0.1.0"
