"""Stage after evaluate and documents: `policyc batch`, a year's applications in one spreadsheet
(columns → read → evaluation → allocate → counterfactual → tables → workbook, report_html;
command is the entry point). docs/batch.md describes it."""
