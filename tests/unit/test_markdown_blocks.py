import random

from core.markdown_blocks import BlockSplitter

DOC = (
    "# Title\n\nFirst paragraph\ncontinues here.\n\n- one\n- two\n\n"
    "```python\ndef f():\n\n    return 1\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "1. item\n\n   indented continuation\n\n2. next\n\nLast words"
)


def _stream(text: str, sizes: list[int]) -> tuple[list[str], BlockSplitter]:
    splitter, blocks, position = BlockSplitter(), [], 0
    for size in sizes:
        position = min(len(text), position + size)
        blocks.extend(splitter.feed(text[:position]))
    return blocks, splitter


def test_blocks_plus_tail_rebuild_the_text_exactly_for_any_chunking():
    rng = random.Random(7)
    for _ in range(200):
        sizes = [rng.randint(1, 9) for _ in range(len(DOC))]
        blocks, splitter = _stream(DOC, sizes)
        assert "".join(blocks) + splitter.tail(DOC) == DOC


def test_code_fences_are_never_split():
    blocks, _ = _stream(DOC, [1] * len(DOC))
    fenced = [b for b in blocks if "```python" in b]
    assert len(fenced) == 1 and fenced[0].rstrip().endswith("```")
    assert "return 1" in fenced[0]


def test_indented_continuations_stay_with_their_item():
    blocks, splitter = _stream(DOC, [len(DOC)])
    item = next(b for b in blocks if b.startswith("1. item"))
    assert "indented continuation" in item
    assert splitter.tail(DOC) == "Last words"
    assert any(b.startswith("2. next") for b in blocks)


# DOC's blocks, as a reader of the markdown sees them.
DOC_BLOCKS = [
    "# Title\n\n",
    "First paragraph\ncontinues here.\n\n",
    "- one\n- two\n\n",
    "```python\ndef f():\n\n    return 1\n```\n\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
    "1. item\n\n   indented continuation\n\n",
    "2. next\n\n",
]


def test_blocks_are_the_documents_blocks_whether_it_arrives_whole_or_a_character_at_a_time():
    for sizes in ([len(DOC)], [1] * len(DOC)):
        blocks, splitter = _stream(DOC, sizes)
        assert blocks == DOC_BLOCKS
        assert splitter.tail(DOC) == "Last words"


class CountingText(str):
    """A text that counts the characters the splitter reads from it (searches and slices)."""

    read = 0

    def find(self, sub, start=None, end=None):
        found = super().find(sub, start, end)
        begin = start or 0
        CountingText.read += (found if found >= 0 else len(self)) - begin
        return found

    def __getitem__(self, key):
        part = super().__getitem__(key)
        CountingText.read += len(part)
        return part


def test_work_per_call_is_bounded_by_the_new_text_not_the_whole_answer():
    splitter = BlockSplitter()
    text = ""
    most_read = 0
    for index in range(2000):
        text += f"Paragraph {index} has words.\n\n"  # at most 27 new characters a call
        CountingText.read = 0
        splitter.feed(CountingText(text))
        most_read = max(most_read, CountingText.read)
    # The text ends up 52,890 characters long; each call reads a few times its 27 new ones at most
    # (rescanning from the start would read the whole text every time).
    assert len(text) == 52_890
    assert 0 < most_read <= 4 * 27
    # Every paragraph but the last is finished: 1,999 of them, 23 characters each plus 6,886 digits.
    assert splitter.committed == 52_863


def test_the_whole_text_splits_where_any_stream_of_it_split():
    from core.markdown_blocks import split_blocks

    assert split_blocks(DOC) == [*DOC_BLOCKS, "Last words"]
    assert split_blocks("") == []
    assert split_blocks("One paragraph\n\n") == ["One paragraph\n\n"]
    rng = random.Random(11)
    for _ in range(100):
        blocks, splitter = _stream(DOC, [rng.randint(1, 40) for _ in range(len(DOC))])
        assert [*blocks, splitter.tail(DOC)] == split_blocks(DOC)
