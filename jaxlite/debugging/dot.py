"""Graphviz DOT export (placeholder)."""
