"""Indexing primitives: slice, dynamic_slice, dynamic_update_slice, gather, scatter_add."""
