"""条文对照表: compare two versions of one 办法 (text, rules, outcomes) and render the table."""
