"""A prompt set as a JSON or YAML file, and its import: the mapping between core.prompt_sets and
core.formats.prompt_set_schema. The file is read by core.formats.strict (YAML with its own, lower
size limit); inline images pass the upload checks; the set is then held to the same rules as one
written in the editor."""

from __future__ import annotations

import json
from typing import Literal

import yaml

from core.formats.checks import ImportRejected
from core.formats.messages import inline_image
from core.formats.prompt_set_schema import FORMAT, PROMPT_SET, VERSION, PromptSetFile
from core.formats.strict import MAX_YAML_BYTES, read
from core.images import ImageLimits, format_bytes
from core.prompt_sets import (
    PromptItem,
    PromptSet,
    PromptSetRejected,
    TextLimits,
    check_prompt_set,
    items_to_data,
)

FileFormat = Literal["json", "yaml"]
# libyaml writes the same text about 40 times faster (4 s for 5 MB in pure Python, at every
# rerun of a page that offers the export).
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def export_prompt_set(prompt_set: PromptSet, file_format: FileFormat) -> str:
    """The set as a JSON or YAML file that `import_prompt_set` reads back."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "name": prompt_set.name,
        "prompts": items_to_data(prompt_set.items),
    }
    if file_format == "yaml":
        return yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=100)
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def yaml_export_refusal(exported: str) -> str | None:
    """Why a YAML export would not import back (it is over the YAML limit), or None."""
    size = len(exported.encode("utf-8"))
    if size <= MAX_YAML_BYTES:
        return None
    return (
        f"As YAML this set is {format_bytes(size)}, over the {format_bytes(MAX_YAML_BYTES)} a YAML "
        "import accepts: export it as JSON to import it back."
    )


def import_prompt_set(
    raw: bytes,
    file_name: str,
    image_limits: ImageLimits | None = None,
    text_limits: TextLimits | None = None,
) -> PromptSet:
    """Read a .json, .yaml or .yml prompt set; PromptSetRejected says what is wrong and where.
    Images are held to `image_limits` and texts to `text_limits` (the settings' defaults)."""
    limits = image_limits or ImageLimits()
    try:
        parsed = read(raw, PROMPT_SET, yaml=file_name.lower().endswith((".yaml", ".yml")))
        items = _items(parsed, limits)
    except ImportRejected as exc:
        raise PromptSetRejected(str(exc)) from None
    return check_prompt_set(parsed.name, items, text_limits or TextLimits(), limits.max_count)


def _items(parsed: PromptSetFile, limits: ImageLimits) -> tuple[PromptItem, ...]:
    return tuple(
        PromptItem(
            prompt.text,
            prompt.instructions,
            tuple(
                inline_image(image.name, image.data, f"prompts[{n}].images[{i}]", limits)
                for i, image in enumerate(prompt.images)
            ),
        )
        for n, prompt in enumerate(parsed.prompts)
    )
