"""The way to GPTProto: the request body (request), the HTTP client seam (client), the events a
call yields (events), the worker threads that run calls (pump), and what a failure tells the user
(errors).

Nothing is imported here: drawing a page loads the events and errors, and only `client` loads
`openai` and `httpx2` (about 0.6 s), on the first request or in the background after a page's
first run."""
