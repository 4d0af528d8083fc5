"""The progress bar: counts, percentages, and quiet logs when the output is not a terminal."""

import io

from mcdenoise.progress import Progress


def test_counts_and_final_line():
    stream = io.StringIO()
    with Progress(4, "render", stream=stream, log_every=1e9) as progress:
        for _ in range(4):
            progress.advance(note="pair")
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("render [") and "1/4" in lines[0]  # the first update is shown at once
    assert "4/4" in lines[-1] and len(lines) == 2  # then nothing until the end, in a log


def test_percent_display_and_disabled_bar():
    stream = io.StringIO()
    progress = Progress(1000, "train", stream=stream, percent=True)
    progress.advance(370, "step 5")
    assert "37%" in stream.getvalue() and "step 5" in stream.getvalue()
    quiet = io.StringIO()
    Progress(3, "x", stream=quiet, enabled=False).advance()
    assert quiet.getvalue() == ""


def test_a_log_does_not_print_the_last_state_twice():
    stream = io.StringIO()
    with Progress(1, "apply", stream=stream, log_every=1e9) as progress:
        progress.advance(note="frame.exr")
    assert stream.getvalue().count("1/1") == 1, stream.getvalue()
