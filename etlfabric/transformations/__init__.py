"""dbt transformations: the organisation's dbt project generated from its rows (project.py),
the run child (child.py) and how a run is prepared (executor.py), and the warm interactive child
that compiles and previews (server.py, warm.py). Nothing here is named `dbt_*`: dbt imports every
top-level module of that name it finds on sys.path."""
