"""What the scenarios share.

Pure (no Locust import, tested in-process): `options` (the scenario options), `arrivals`
(intended send times), `checks` (the app's HTTP contract), `tally` (counts and HDR
histograms), `recording` (per-process recorder), `aggregate` (sums of snapshots),
`client_json` (the output file and summary table), `steps` (the step plan).
On Locust: `hooks` (event wiring, distributed mode), `open_model` (the user),
`dispatch` (the dispatch routes' user), `shapes` (load shapes).
"""
