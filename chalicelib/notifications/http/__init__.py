"""The notifications area's routes: one module per audience (member, agent, admin, integrations, staff, dev), each with
its request and response models beside it (``<audience>_schemas.py``)."""
