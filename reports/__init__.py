"""Read stored results, analyse them, draw figures, and write the report and comparisons."""
