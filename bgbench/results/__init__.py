"""The one home of the results format: its names and version (`names`), the typed model
(`model`), the writer the sweep uses (`writer`) and the reader the reports use (`reader`).
docs/results-format.md describes the files."""
