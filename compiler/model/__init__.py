"""The policy model (clauses, facts, rules) built from a validated tree, and the checker."""
