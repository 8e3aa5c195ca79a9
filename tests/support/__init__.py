"""Shared test fixtures' machinery: DynamoDB Local, fresh tables, moto SQS queues, the local stack."""
