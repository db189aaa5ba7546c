"""media layer (see DESIGN.md)."""
