"""The language of policy texts: Chinese numerals, units, and the expression grammar, AST and parser."""
