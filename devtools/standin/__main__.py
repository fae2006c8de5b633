"""Run the stand-in on its own, to try the app without a gateway key:

.venv/bin/python -m devtools.standin --port 8765 --key sk-standin --chunk-delay 0.02
"""

from __future__ import annotations

import argparse
import sys

from devtools.process import run_until_stopped
from devtools.standin.replies import Reply
from devtools.standin.server import MODEL_LIST_FAULTS, StandIn


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--key", default="sk-standin", help="the API key it accepts")
    parser.add_argument("--chunk-delay", type=float, default=0.02, help="seconds between chunks")
    parser.add_argument("--first-token-delay", type=float, default=0.3, help="seconds before the first chunk")
    parser.add_argument("--reasoning-tokens", type=int, default=64)
    parser.add_argument(
        "--unsupported-param",
        action="append",
        default=[],
        metavar="NAME",
        help="refuse requests that carry this parameter with OpenAI's 'Unsupported parameter' 400 "
        "(repeatable; NAME=model1,model2 refuses it for those models only)",
    )
    parser.add_argument(
        "--models-fault", choices=MODEL_LIST_FAULTS, help="how GET /v1/models fails (default: it lists)"
    )
    args = parser.parse_args(argv)
    default = Reply(
        chunk_delay=args.chunk_delay,
        first_token_delay=args.first_token_delay,
        reasoning_tokens=args.reasoning_tokens,
    )
    server = StandIn([args.key], port=args.port, default=default)
    for item in args.unsupported_param:
        name, _, models = item.partition("=")
        server.unsupported_params[name] = {model for model in models.split(",") if model}
    server.models_fault = args.models_fault
    server.start()
    sys.stdout.write(f"GPTProto stand-in on {server.base_url} (key {args.key}); Ctrl-C stops it\n")
    sys.stdout.flush()
    try:
        run_until_stopped()
    finally:
        server.stop()


if __name__ == "__main__":
    main()
