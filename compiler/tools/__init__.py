"""Development tools for the compiler (never imported at run time)."""
