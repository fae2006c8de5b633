"""The prompt set panel's and editor's session state and widget keys, on the Compare page, under
`compare.sets.` (the set being stepped through belongs to the comparison: state/compare.py)."""

from __future__ import annotations

SET_PICK = "compare.sets.pick"
CARRY = "compare.sets.carry"
RUN_NEXT = "compare.sets.run_next"
RUN_ALL = "compare.sets.run_all"
SET_NAME = "compare.sets.name"
SET_ADD = "compare.sets.add"
SET_SAVE = "compare.sets.save"
SET_DELETE = "compare.sets.delete"
SET_EXPORT_JSON = "compare.sets.export_json"
SET_EXPORT_YAML = "compare.sets.export_yaml"
SET_IMPORT_FILE = "compare.sets.import_file"
SET_IMPORT = "compare.sets.import"
SET_DRAFT = "compare.sets.draft"  # the prompt set being edited (a SetDraft)
PENDING_PICK = "compare.sets.pending_pick"  # a set to pick on the coming run
FLASH = "compare.sets.flash"  # a success message that outlives the rerun after a save


def item_key(field: str, item_id: str) -> str:
    """A widget of one prompt in the prompt set editor: text, instructions, images, remove…"""
    return f"compare.sets.item.{field}.{item_id}"
