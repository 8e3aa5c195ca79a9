"""The API itself: the declarative routes, the OpenAPI document, liveness."""
