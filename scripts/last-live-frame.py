#!/usr/bin/env python3
"""Prints, as plain text, the last frame of a Spectre.Console live view that shows running trials.

Reads a terminal stream recorded by `script` (see capture-live-view.sh). Spectre redraws its live region
by moving the cursor back up to its top ("ESC [ n A") and writing the frame over the old one;
the stream is split at those moves, ANSI sequences are removed, and the last frame containing
"running now" is printed (else the last frame).
"""
import re
import sys

raw = open(sys.argv[1], encoding="utf-8", errors="replace").read()
redraw = re.compile(r"\x1b\[\d+A")
ansi = re.compile(r"\x1b(?:\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|[=>])")
frames = [ansi.sub("", f).replace("\r", "") for f in redraw.split(raw)]
frames = [f for f in frames if f.strip()]
chosen = next((f for f in reversed(frames) if "running now" in f), frames[-1] if frames else "")
lines = chosen.split("\n")
# Keep the live region only: from the table's title line to the running table's last border.
start = next((i for i, l in enumerate(lines) if "·" in l and "(" in l), 0)
end = max((i for i, l in enumerate(lines) if l.lstrip().startswith("╰")), default=len(lines) - 1)
print("\n".join(l.rstrip() for l in lines[start:end + 1]))
