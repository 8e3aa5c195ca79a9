"""Member portal backend: the code that app.py wires into Chalice."""
