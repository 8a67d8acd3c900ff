"""dlt pipelines: the spec a run hands to its child process, the child itself, and what the
platform reads back (results, state, tables, previews).

The worker never imports dlt for a run: `executor.prepare_pipeline` builds a JSON spec and runs
`python -m etlfabric.pipelines.child` under runners.process limits; the child prints progress and
one `ETLFABRIC_RESULT {json}` line that `results.py` turns into the run's rows and details.
"""
