"""One module per page: ROUTE, TITLE, ON_LOAD and page(); etlfabric.etlfabric adds each to the app.

(Explicit add_page rather than @rx.page: Reflex re-applies decorated pages on every compile, and
prod mode compiles once more in each web worker, warning "Page ... is being redefined".)
"""
