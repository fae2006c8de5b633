"""The GPTProto stand-in: a loopback server that speaks the gateway's documented contract, as
the tests need it, since the gateway itself is not reachable from where they run.

That contract is `POST /v1/chat/completions` with a bearer key; a body of `model`, `messages`
(roles developer, user, system, assistant; an optional `name`; text, or parts of `text` and
`image_url` with an https or data:image base64 URL), `max_completion_tokens` and `stream`; an
answer as JSON or as server-sent OpenAI chunks ending in `data: [DONE]`, with `usage` (reasoning
and cached tokens in its detail blocks) and a `finish_reason` of `stop` or `length`; and errors
in the OpenAI shape, `{"error": {"message", "type", "param", "code"}}`, with 401, 403 (no
permission or not enough balance), 429, 500, and 400 for a content-policy refusal. Whether it
accepts extensions such as `stream_options` is not documented, so the stand-in can refuse them,
and can refuse an optional parameter (`temperature`, `reasoning_effort`...) as OpenAI does,
`{"error": {"message": "Unsupported parameter: 'temperature' ...", "param": "temperature",
"code": "unsupported_parameter"}}` (`StandIn.unsupported_params`, or `--unsupported-param`)."""

from devtools.standin.replies import ErrorReply, Garbled, HangUp, Reply
from devtools.standin.server import RecordedRequest, StandIn

__all__ = ["ErrorReply", "Garbled", "HangUp", "RecordedRequest", "Reply", "StandIn"]
