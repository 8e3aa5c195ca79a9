"""Deploying to AWS and operating what is deployed: the CloudFormation package (``package``) with the alarms,
dead-letter queues and guards (``operations``) and dashboards (``dashboards``); ``redrive`` replays a dead-letter
queue."""
