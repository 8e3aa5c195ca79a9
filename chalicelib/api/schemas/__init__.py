"""Request and response models, imported on first use (see ``routing.ModelRef``)."""
