"""The GPTProto stand-in: a loopback server that speaks `../shared/gptproto-api.md`."""

from tests.standin.replies import ErrorReply, HangUp, Reply
from tests.standin.server import RecordedRequest, StandIn

__all__ = ["ErrorReply", "HangUp", "RecordedRequest", "Reply", "StandIn"]
