"""The one progress-bar style (tqdm on stderr) is silent off a terminal."""

from sim.progress import progress


def test_a_bar_is_silent_when_stderr_is_not_a_terminal(capsys):
    with progress(3, "quiet") as bar:
        bar.update(3)
    assert capsys.readouterr().err == ""


def test_a_bar_asked_to_hide_stays_hidden_and_counts_nothing():
    with progress(3, "hidden", show=False) as bar:
        assert bar.disable
