"""Turn a child's pipes into lines as soon as they are printed."""

from __future__ import annotations

import codecs
import os
import queue
import selectors
import threading

MAX_LINE_CHARS = 8192


class _Splitter:
    """Bytes in, whole decoded lines out; undecodable bytes replaced, long lines cut."""

    def __init__(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""

    def feed(self, chunk: bytes) -> list[str]:
        self._pending += self._decoder.decode(chunk)
        *lines, self._pending = self._pending.split("\n")
        out = [piece for line in lines for piece in _cut(line.removesuffix("\r"))]
        while len(self._pending) > MAX_LINE_CHARS:
            out.append(self._pending[:MAX_LINE_CHARS])
            self._pending = self._pending[MAX_LINE_CHARS:]
        return out

    def finish(self) -> list[str]:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending = ""
        return _cut(rest) if rest else []


def _cut(line: str) -> list[str]:
    if len(line) <= MAX_LINE_CHARS:
        return [line]
    return [line[i : i + MAX_LINE_CHARS] for i in range(0, len(line), MAX_LINE_CHARS)]


def pump(pipes: dict[str, int], out: queue.Queue, stop: threading.Event) -> None:
    """Read every pipe as data arrives; queue (stream, [lines]); ("eof", None) at the end."""
    selector = selectors.DefaultSelector()
    for stream, fd in pipes.items():
        selector.register(fd, selectors.EVENT_READ, (stream, _Splitter()))
    while selector.get_map() and not stop.is_set():
        for key, _ in selector.select(timeout=0.1):
            stream, splitter = key.data
            chunk = os.read(key.fd, 65536)
            lines = splitter.feed(chunk) if chunk else splitter.finish()
            if lines:
                out.put((stream, lines))
            if not chunk:
                selector.unregister(key.fd)
    for key in list(selector.get_map().values()):  # stopped early: flush what is buffered
        stream, splitter = key.data
        if lines := splitter.finish():
            out.put((stream, lines))
    selector.close()
    out.put(("eof", None))
