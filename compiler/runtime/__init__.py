"""The evaluation runtime: standard library only, copied into every generated evaluator."""
