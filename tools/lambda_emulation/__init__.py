"""What AWS does around the app's functions, done locally: API Gateway in front of the routes, Lambda's event
sources (SQS, the DynamoDB stream, EventBridge schedules) and the invocation ``context``. Uses nothing of the
local stack: the stack starts these."""
