"""adapters layer (see README: how the parts fit)."""
