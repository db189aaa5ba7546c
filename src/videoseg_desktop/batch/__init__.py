"""Batch runs over many media items, in this process or on a Ray cluster (docs/adr/0014).

Workers (``executor.Worker``) run the per-media inference and return plain results; the driver,
the process that owns the project, stores them. ``ray`` is imported by ``ray_executor`` only,
and only when ``--cluster`` is given.
"""
