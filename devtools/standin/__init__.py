"""The GPTProto stand-in: a loopback server that speaks `../shared/gptproto-api.md`."""

from devtools.standin.replies import ErrorReply, Garbled, HangUp, Reply
from devtools.standin.server import RecordedRequest, StandIn

__all__ = ["ErrorReply", "Garbled", "HangUp", "RecordedRequest", "Reply", "StandIn"]
