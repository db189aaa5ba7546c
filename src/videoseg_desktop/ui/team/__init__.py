"""File > Team: split the project into work packages and merge them back (ADR 0015)."""
