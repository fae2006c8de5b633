"""The framework peers a team would otherwise pick for a quick chat UI, each in its own
virtual environment that the bench builds from the package index on first use.

Each peer app streams from the bench's SSE server with the `openai` client in its framework's own
idiomatic pattern; `bench.peers.venvs` builds their environments, `bench.harness` runs them."""
