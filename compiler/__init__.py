"""policyc: a policy-as-data compiler for Chinese government regulations (办法).

The packages follow the pipeline, each importing only from the ones before it:

    runtime   stdlib-only code copied into every generated evaluator (facts, dates, money,
              the decision procedure)
    lang      the language of the texts: numerals, units, the expression grammar and AST
    source    located YAML, JSON Schema validation, diagnostics, project files
    model     the policy model built from a validated tree, and the checker
    evaluate  the reference interpreter, the code generator, test cases as data
    documents rebuilt text, coverage, guides, Word/HTML/Markdown writers
    diff      条文对照表 between two versions
    importer  issued document → policy skeleton; check-source
    build, cli
"""

__version__ = "0.1.0"
