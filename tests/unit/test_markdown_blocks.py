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


def test_work_is_incremental():
    splitter = BlockSplitter()
    text = ""
    for index in range(2000):
        text += f"Paragraph {index} has words.\n\n"
        splitter.feed(text)
    # Only the newly added text is scanned on each call: the scan position tracks the end.
    assert splitter.committed == len(text) - len("Paragraph 1999 has words.\n\n")
