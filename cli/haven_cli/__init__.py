"""``haven``: the one command for administrators and analysts outside the notebook.

The top floor: it may import every Haven package (the hub's, the egress service's, the
disclosure library) because nothing imports it. Each word dispatches to the
``main(argv) -> int`` of the part that owns it (:mod:`.dispatch`).
"""
