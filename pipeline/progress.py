"""Progress of long work on a terminal: `label  done/total  pct  ETA m:ss`, one line redrawn.

Shown only on a terminal (never in a pipe, a cron mail or a log file) and never when
`enabled` is false (`-q`). The total may grow (a crawl discovers its offers page by page);
without a total, only the count is shown.
"""
from __future__ import annotations

import sys
import time
from typing import TextIO


def format_eta(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """A one-line progress display on `stream` (stderr), redrawn at most `rate` times a second."""

    def __init__(self, label: str, total: int | None = None, enabled: bool = True,
                 stream: TextIO | None = None, rate: float = 4.0) -> None:
        self.stream = stream or sys.stderr
        self.label, self.total, self.done = label, total, 0
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()
        self.interval, self.drawn_at, self.width = 1.0 / rate, 0.0, 0

    def __call__(self, message: str) -> None:
        """A new stage of the work (`rebuild_offers(progress=...)` announces its stages), on a new line."""
        self.close()
        self.label, self.total, self.width, self.started = message, None, 0, time.monotonic()
        if self.enabled:
            self.draw()

    def line(self, now: float | None = None) -> str:
        """The text shown for the current state."""
        elapsed = (now if now is not None else time.monotonic()) - self.started
        if not self.total:
            return f"{self.label} {self.done}"
        done = min(self.done, self.total)
        text = f"{self.label} {done}/{self.total} {done / self.total:4.0%}"
        if 0 < done < self.total and elapsed >= 1.0:  # sooner, the warm-up skews the estimate
            text += f" ETA {format_eta(elapsed / done * (self.total - done))}"
        return text

    def update(self, done: int | None = None, total: int | None = None, advance: int = 0) -> None:
        if total is not None:
            self.total = total
        self.done = done if done is not None else self.done + advance
        now = time.monotonic()
        if self.enabled and now - self.drawn_at >= self.interval:
            self.draw(now)

    def draw(self, now: float | None = None) -> None:
        text = self.line(now)
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width, self.drawn_at = len(text), time.monotonic()

    def close(self) -> None:
        """The last state, then a new line (nothing when disabled or never drawn)."""
        if self.enabled and self.width:
            self.draw()
            self.stream.write("\n")
            self.stream.flush()
        self.done, self.width = 0, 0  # closing again draws nothing

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
