"""The files the app writes and reads back: conversation, comparison, prompt-set and preset
exports.

`strict` is the one reader of untrusted JSON and YAML (sizes, syntax, text, numbers, duplicate
keys, then the pydantic schema); each format is a schema module (`*_schema`, the pydantic
models) and a mapping module (`conversation`, `comparison`, `prompt_set`, `preset`: export and
import); `messages` maps the app's messages and images to their exported form and back, for
every format. Nothing is imported here, so loading one module loads only what it needs."""
