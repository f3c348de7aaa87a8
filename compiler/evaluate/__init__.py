"""Evaluating policies: the reference interpreter, the code generator, and test cases as data."""
