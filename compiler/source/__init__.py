"""Reading inputs: located YAML, JSON Schema validation, diagnostics, project files and paths."""
