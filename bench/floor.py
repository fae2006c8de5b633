"""The floor: the raw `openai` client reading one streamed answer, in its own process so that it
shares no GIL with the bench driving the browser.

`python -m bench.floor BASE_URL API_KEY` prints `ready` once the client is built, then for each
line of JSON it reads (`{"prompt": ..., "first": <first word>}`) starts that request at once and
prints one line of JSON: the `prompt`, `start` (wall clock when the line was read), `first` (the
first word complete in the text so far), `last` (the last content chunk), all epoch seconds, and
`chunks`.
"""

from __future__ import annotations

import json
import sys
import time

import openai


def read_one(client: openai.OpenAI, prompt: str, first_word: str) -> dict[str, str | float | int | None]:
    """Stream one answer; when its first word and its last content arrived."""
    start = time.time()
    first = last = None
    text = ""
    chunks = 0
    stream = client.chat.completions.create(
        model="o4-mini",
        messages=[{"role": "user", "content": prompt}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            last = time.time()
            chunks += 1
            text += chunk.choices[0].delta.content
            if first is None and first_word in text:
                first = last
    return {"prompt": prompt, "start": start, "first": first, "last": last, "chunks": chunks}


def main() -> None:
    base_url, api_key = sys.argv[1], sys.argv[2]
    client = openai.OpenAI(base_url=base_url, api_key=api_key, max_retries=0)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        order = json.loads(line)
        sys.stdout.write(json.dumps(read_one(client, order["prompt"], order["first"])) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
