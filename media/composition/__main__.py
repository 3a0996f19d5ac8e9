"""``python -m media.composition FOLDER OUTPUT [options]``: compose a recording folder.

Runs at lowered priority (``--nice``, default 10) so a composition never takes CPU from
live calls on the same machine. Prints ``progress <percent>`` lines while it works and
``done <seconds>`` at the end (also written to ``--progress FILE`` as JSON, replaced
atomically). Exit status: 0 done, 2 nothing to compose (``failed <reason>`` printed),
1 any other error. It stops if its parent process dies (the job runner restarts the
job), so an orphan never writes beside a restarted job.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import signal
import sys
from pathlib import Path

from media.composition.compose import ComposeOptions, CompositionError, compose

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (elsewhere: the loop's
    parent check in ``still_wanted`` does it)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m media.composition")
    parser.add_argument("folder", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--width", type=int, default=ComposeOptions.width)
    parser.add_argument("--height", type=int, default=ComposeOptions.height)
    parser.add_argument("--fps", type=int, default=ComposeOptions.fps)
    parser.add_argument("--nice", type=int, default=10)
    parser.add_argument("--progress", type=Path, default=None)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    parent = os.getppid()
    die_with_parent()
    if args.nice > 0:
        os.nice(args.nice)

    def report(state: str, value: float | str) -> None:
        print(f"{state} {value}", flush=True)
        if args.progress is not None:
            temporary = args.progress.with_name(args.progress.name + ".tmp")
            temporary.write_text(json.dumps({"state": state, "value": value}))
            os.replace(temporary, args.progress)

    options = ComposeOptions(width=args.width, height=args.height, fps=args.fps)
    try:
        duration = compose(args.folder, args.output, options,
                           progress=lambda percent: report("progress", percent),
                           still_wanted=lambda: os.getppid() == parent)
    except CompositionError as exc:
        report("failed", str(exc))
        return 2
    report("done", round(duration, 3))
    return 0


if __name__ == "__main__":
    sys.exit(main())
