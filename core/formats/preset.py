"""Presets as a JSON file, and its import: the mapping between core.presets and
core.formats.preset_schema. The file is read by core.formats.strict (JSON, or YAML with its own,
lower size limit); each preset's parameters by core.sampling, strictly; then every preset is held
to the same rules as one written on the page. Nothing is kept unless the whole file is."""

from __future__ import annotations

import json
from collections.abc import Sequence

from core.formats.checks import ImportRejected
from core.formats.preset_schema import FORMAT, PRESETS, VERSION, PresetEntry
from core.formats.strict import read
from core.presets import Preset, PresetRejected, check_preset, checked_sampling, preset_to_data


def export_presets(presets: Sequence[Preset]) -> str:
    """The presets as a JSON file that `import_presets` reads back (ids and who published them
    are not part of it)."""
    data = {
        "format": FORMAT,
        "version": VERSION,
        "presets": [{"name": preset.name, **preset_to_data(preset)} for preset in presets],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def import_presets(raw: bytes, file_name: str, max_instructions_chars: int = 20_000) -> list[Preset]:
    """Read a .json (or .yaml, .yml) presets file; PresetRejected says what is wrong and where.
    The presets come back new (no id) and not published."""
    try:
        parsed = read(raw, PRESETS, yaml=file_name.lower().endswith((".yaml", ".yml")))
    except ImportRejected as exc:
        raise PresetRejected(str(exc)) from None
    return [_preset(entry, n, max_instructions_chars) for n, entry in enumerate(parsed.presets)]


def _preset(entry: PresetEntry, index: int, max_instructions_chars: int) -> Preset:
    where = f"presets[{index}]"
    try:
        sampling = checked_sampling(entry.parameters)
        return check_preset(
            Preset(
                entry.name,
                entry.model,
                entry.instructions,
                entry.instructions_role,
                sampling,
                tuple(entry.starters),
            ),
            max_instructions_chars,
        )
    except PresetRejected as exc:
        raise PresetRejected(f"{where} ({entry.name[:40]}): {exc}") from None
