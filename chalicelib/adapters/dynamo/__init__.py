"""DynamoDB adapters: pynamodb models and repositories."""
