"""Endpoint handlers, one module per area: read request parameters, call a model, shape the reply.

No rules live here (they are in `models`), only what the servlets do with parameters and the
reply encodings: `call` (what a handler gets, the /manager ajax harness), `params`
(HttpRequestUtils), `pages` (login and HTML pages), `projects`, `uploads`, `flows`,
`schedules`, `executions`. Each handler's docstring names its endpoint.
"""
