"""Presets stored on SQLite and PostgreSQL: each person's own are theirs alone, a published one is
everyone's to use and only an admin publishes, changes or deletes it; the migration adds and
removes the table."""

from __future__ import annotations

import pytest

from core.presets import NotAllowed, Preset
from core.sampling import Sampling
from core.storage import ConversationStore, NotFound, PresetStore, migrate

WRITER = Preset(
    "Writer",
    "gpt-4o",
    "Write plainly.",
    "system",
    Sampling(reasoning_effort="high", temperature=0.3, stop=("END",)),
    ("Draft a memo", "Shorten this"),
)


@pytest.fixture
def people(engine) -> tuple[PresetStore, PresetStore, PresetStore]:
    """ana and bob, who are not admins, and root, who is."""
    migrate(engine)
    for user in ("ana", "bob", "root"):
        ConversationStore(engine, user)  # the user's row
    return PresetStore(engine, "ana"), PresetStore(engine, "bob"), PresetStore(engine, "root", is_admin=True)


def test_a_preset_reads_back_whole_and_is_its_owners_alone(people):
    ana, bob, _ = people
    preset_id = ana.save(WRITER)
    assert ana.load(preset_id) == Preset(
        "Writer",
        "gpt-4o",
        "Write plainly.",
        "system",
        Sampling(reasoning_effort="high", temperature=0.3, stop=("END",)),
        ("Draft a memo", "Shorten this"),
        preset_id,
        False,
    )
    assert [(p.name, p.editable, p.mine, p.published) for p in ana.own()] == [("Writer", True, True, False)]
    assert bob.own() == [] and bob.published() == [] and bob.everything() == []
    for attempt in (
        lambda: bob.load(preset_id),
        lambda: bob.save(Preset("Hijack", "o3", id=preset_id)),
        lambda: bob.delete(preset_id),
    ):
        with pytest.raises(NotFound):
            attempt()
    assert ana.load(preset_id).name == "Writer"

    ana.save(Preset("Editor", "o3", "Cut words.", id=preset_id))  # rename and edit in place
    assert [p.name for p in ana.own()] == ["Editor"]
    assert ana.load(preset_id).sampling == Sampling()
    ana.delete(preset_id)
    assert ana.own() == []


def test_only_an_admin_publishes_and_a_published_preset_is_read_only_for_others(people):
    ana, bob, root = people
    own_id = ana.save(WRITER)
    with pytest.raises(NotAllowed, match="Only an admin"):
        ana.publish(own_id)
    assert bob.published() == []

    shared_id = root.save(Preset("Team voice", "o4-mini", "Be kind.", starters=("Hello",)))
    root.publish(shared_id)
    for person in (ana, bob):
        listed = person.published()
        assert [(p.name, p.published, p.editable, p.mine) for p in listed] == [
            ("Team voice", True, False, False)
        ]
        assert person.load(shared_id).instructions == "Be kind."
        with pytest.raises(NotAllowed, match="only an admin can change or delete it"):
            person.save(Preset("Mine now", "o3", id=shared_id))
        with pytest.raises(NotAllowed):
            person.delete(shared_id)
        with pytest.raises(NotAllowed):
            person.publish(shared_id, False)
    assert ana.load(shared_id).name == "Team voice"
    assert [p.name for p in ana.own()] == ["Writer"] and bob.own() == []
    assert [p.name for p in root.own()] == []  # published ones are listed apart
    assert [p.name for p in ana.everything()] == ["Writer", "Team voice"]

    root.save(Preset("Team voice v2", "o4-mini", "Be kinder.", id=shared_id))
    assert bob.load(shared_id).instructions == "Be kinder."
    root.publish(shared_id, False)  # taken back: its owner's own again, nobody else's
    assert bob.published() == [] and [p.name for p in root.own()] == ["Team voice v2"]
    with pytest.raises(NotFound):
        bob.load(shared_id)


def test_an_admin_cannot_read_or_publish_someone_elses_own_preset(people):
    ana, _, root = people
    own_id = ana.save(WRITER)
    with pytest.raises(NotFound):
        root.publish(own_id)
    with pytest.raises(NotFound):
        root.load(own_id)


def test_an_import_adds_every_preset_as_the_persons_own(people):
    ana, bob, _ = people
    ids = ana.add_all([WRITER, Preset("Plain", "o4-mini", published=True)])
    assert [ana.load(i) for i in ids] == [
        Preset(**{**WRITER.__dict__, "id": ids[0]}),
        Preset("Plain", "o4-mini", id=ids[1]),  # an import never publishes
    ]
    assert [p.name for p in ana.own()] == ["Plain", "Writer"] and bob.published() == []


def test_the_migration_adds_and_removes_the_presets_table(engine):
    from sqlalchemy import inspect

    from tests.storage.test_usage import downgrade_to

    migrate(engine)
    assert "presets" in inspect(engine).get_table_names()
    downgrade_to(engine, "0006")
    assert "presets" not in inspect(engine).get_table_names()
    migrate(engine)
    ConversationStore(engine, "ana")
    assert PresetStore(engine, "ana").own() == []
