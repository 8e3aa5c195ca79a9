"""The staff audit trail: one record per staff write, in the same DynamoDB transaction as the write.

``scope``: the route layer opens a scope around every staff write route (``routing._dispatch``: one place);
``writer``: a hook on the process's one DynamoDB client adds the scope's record (and its chain head) to the first
write the request makes, turning a single PutItem/UpdateItem/DeleteItem/BatchWriteItem into a transaction when it
has to; ``chain``: the pure hash chain and its verifier; ``records``: the items.
"""
