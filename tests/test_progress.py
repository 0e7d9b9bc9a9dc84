"""Progress on a terminal: done/total, percentage, time left; nothing off a terminal or when disabled."""
import io

from pipeline.progress import Progress, format_eta


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_line_has_done_total_and_time_left():
    progress = Progress("offers", total=200, stream=Terminal())
    progress.started = 100.0
    progress.done = 50
    assert progress.line(now=110.0) == "offers 50/200  25% ETA 0:30"
    progress.done = 200
    assert progress.line(now=150.0) == "offers 200/200 100%"
    assert Progress("ingest", stream=Terminal()).line() == "ingest 0"
    assert format_eta(3725) == "1:02:05" and format_eta(59.6) == "1:00"


def test_a_growing_total_and_stages():
    stream = Terminal()
    progress = Progress("offers", stream=stream, rate=1e9)
    progress.update(5, total=20)
    progress.update(20, total=40)
    assert stream.getvalue() == "\roffers 5/20  25%\roffers 20/40  50%"
    progress("normalising 40 postings")
    assert stream.getvalue().endswith("50%\n\rnormalising 40 postings 0")  # the stage on a new line
    progress.update(done=40, total=40)
    progress.close()
    assert stream.getvalue().endswith("\rnormalising 40 postings 40/40 100%\n")
    progress.close()
    assert stream.getvalue().endswith("40/40 100%\n")  # closing twice draws nothing more


def test_nothing_off_a_terminal_or_disabled():
    for stream, enabled in ((io.StringIO(), True), (Terminal(), False)):
        progress = Progress("offers", total=10, stream=stream, enabled=enabled)
        progress.update(5)
        progress("stage")
        progress.close()
        assert stream.getvalue() == ""
