"""The synthetic practice: a deterministic practice-management database for demos, tests and benchmarks.

See README.md in this folder. Modules: `dirty` (defect kinds and the reason code that must catch
each), `reference` (embedded names, payers, fee schedule, ICD-10-CM pools), `generate` (rows, pure
Python), `seed` (COPY into pm.*, `seed_practice` / `ensure_practice`), `roster` (the payers' roster
JSON for the clearinghouse sandbox). No Airflow here.
"""
