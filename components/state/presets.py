"""Presets' session state and widget keys: the editor on the Conversations page under
`conversations.presets.`, and the chooser where a new chat (`chat.preset.`) or comparison
(`compare.preset.`) starts."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

# The editor.
PICK = "conversations.presets.pick"  # the preset being edited (its id), None for a new one
PENDING_PICK = "conversations.presets.pending_pick"  # the preset to edit on the coming run
LOADED = "conversations.presets.loaded"  # the id whose values the editor's fields hold
NAME = "conversations.presets.name"
MODEL = "conversations.presets.model"
INSTRUCTIONS = "conversations.presets.instructions"
ROLE = "conversations.presets.role"
EFFORT = "conversations.presets.effort"
STOP = "conversations.presets.stop"
STARTERS = "conversations.presets.starters"
SAVE = "conversations.presets.save"
COPY = "conversations.presets.copy"
DELETE = "conversations.presets.delete"
PUBLISH = "conversations.presets.publish"
EXPORT = "conversations.presets.export"
IMPORT_FILE = "conversations.presets.import_file"
IMPORT = "conversations.presets.import"
FLASH = "conversations.presets.flash"  # a success message that outlives the rerun after a save


def number_key(name: str) -> str:
    """The editor's text box for one numeric parameter (temperature, seed...)."""
    return f"conversations.presets.param.{name}"


@dataclass(frozen=True)
class ChooserKeys:
    """One page's preset chooser: the box, the preset applied, a starter clicked."""

    choose: str
    applied: str  # the preset (a Preset) the page's options came from, for its starters
    starter: str  # a starter prompt clicked, sent on the coming run

    def starter_button(self, index: int) -> str:
        """The button of the `index`th starter prompt."""
        return f"{self.choose}.starter.{index}"


CHAT = ChooserKeys("chat.preset.choose", "chat.preset.applied", "chat.preset.starter")
COMPARE = ChooserKeys("compare.preset.choose", "compare.preset.applied", "compare.preset.starter")


def take_starter(keys: ChooserKeys) -> str | None:
    """The starter prompt clicked on this page, consumed."""
    text: str | None = st.session_state.pop(keys.starter, None)
    return text
