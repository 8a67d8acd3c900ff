"""REST API, thin: routes turn HTTP into service calls and domain errors into JSON.

`etlfabric.api.app.build_api()` assembles it; the Reflex app mounts it (etlfabric/etlfabric.py).
"""
