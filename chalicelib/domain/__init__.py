"""domain layer (see README: how the parts fit)."""
