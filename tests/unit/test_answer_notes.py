"""How waits are shown while they last."""

from core.answer_notes import format_waited


def test_waited_is_whole_seconds_and_blank_in_the_first_second():
    assert format_waited(0.0) == ""
    assert format_waited(0.99) == ""
    assert format_waited(1.0) == " 1 s"
    assert format_waited(2.95) == " 2 s"
    # Ten polls a second draw the same line until the next whole second.
    assert len({format_waited(1 + i / 10) for i in range(10)}) == 1
