"""Stopping a run as Ctrl-C does, from any thread: one SIGINT, sent when dtrace handles it, by a
thread of the run's own; then the command of ``-c`` ended if dtrace does not end, and dtrace killed
(with what it started) after a bound, wherever the consumer is blocked."""

from __future__ import annotations

import os
import signal
import threading
import time

from dtracepy.run.process import children, ignores_sigint

# seconds after the SIGINT before the command of -c is asked to end (SIGTERM) if dtrace has not:
# dtrace ends when its command does, running its END clauses as for Ctrl-C
_NUDGE = 2.0
_POLL = 0.05    # how often the stopping thread looks at dtrace


class Stopper:
    """The stop of one run.  ``started`` is set once dtrace traces, ``exited`` once it has exited;
    ``on_sigint()`` is called just before the SIGINT is sent; ``process`` is set when dtrace has
    been started."""

    def __init__(self, *, target_cmd: bool, started: threading.Event, exited: threading.Event,
                 on_sigint):
        self.process = None
        self._target_cmd = target_cmd
        self._started = started
        self._exited = exited
        self._on_sigint = on_sigint
        self.sent = False           # dtrace was sent its SIGINT
        self.wanted = False         # stop() was called (the stopping thread runs)
        self._asked = 0.0           # when (time.monotonic())
        #: Seconds after the stop at which dtrace, not ended, was killed (None: it was not).
        self.killed_after: float | None = None
        self._kill_at: float | None = None      # when the stopping thread kills dtrace
        # stop() runs in the caller's thread, a timer's, a signal handler (which may interrupt
        # another stop() in the same thread) and the stopping thread: one re-entrant lock
        self._lock = threading.RLock()

    def stop(self, within: float) -> None:
        """Stop, and kill dtrace if it has not ended ``within`` seconds from now (or from an
        earlier stop, if that ends sooner): :meth:`dtracepy.run.runner.Tracing.stop`."""
        if self.process is None or self._exited.is_set():
            return
        with self._lock:
            now = time.monotonic()
            self._kill_at = now + within if self._kill_at is None else min(self._kill_at, now + within)
            if self.wanted:
                return
            self.wanted = True
            self._asked = now
        self._send()
        threading.Thread(target=self._stopping, name="dtracepy-stop", daemon=True).start()

    def _send(self) -> bool:
        """Send the SIGINT if dtrace handles it now; whether it has been sent."""
        with self._lock:
            if self.sent:
                return True
            if not self._started.is_set() or ignores_sigint(self.process.pid):
                return False
            self.sent = True
            self._on_sigint()
            try:
                self.process.send_signal(signal.SIGINT)
            except ProcessLookupError:
                pass
            return True

    def _stopping(self) -> None:
        nudged = not self._target_cmd
        since = None        # when dtrace was first seen tracing with the stop asked for
        while not self._exited.wait(_POLL):
            now = time.monotonic()
            if now >= self._kill_at:
                self.killed_after = round(self._kill_at - self._asked, 1)
                self.kill()
                return
            self._send()
            if since is None and self._started.is_set():
                since = now
            if not nudged and since is not None and now - since >= _NUDGE:
                # with -c: dtrace has not ended (it ignores SIGINT, or has not been sent it yet):
                # end its command, and dtrace ends as it does when the command exits
                nudged = True
                for child in children(self.process.pid):
                    try:
                        os.kill(child, signal.SIGTERM)
                    except OSError:
                        pass

    def kill(self) -> None:
        """See :meth:`dtracepy.run.runner.Tracing.kill`."""
        if self.process is None or self._exited.is_set() or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except OSError:
            try:
                self.process.kill()
            except OSError:
                pass
