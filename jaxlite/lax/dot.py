"""dot_general: contraction with batch dimensions."""
