"""`python -m ganfleet` is the `ganfleet` command (`run`: also the installed script's entry point)."""

import signal
import sys
from types import FrameType


def run() -> int:
    """The command; a Ctrl-C while it still starts (imports take seconds, then the parser) is one line, exit 130.

    The Ctrl-C is noted as well as raised: an import that swallows the KeyboardInterrupt (a bare `except`, or
    a `__del__` that runs when it arrives) must not let the command go on to train. Once a command runs,
    `main` answers a Ctrl-C itself (what was saved, how to go on).
    """
    caught: list[int] = []

    def interrupt(signum: int, frame: FrameType | None) -> None:
        caught.append(signum)
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    try:
        from ganfleet.cli import main

        if caught:  # the import lost the KeyboardInterrupt: it is still a Ctrl-C while starting
            raise KeyboardInterrupt
        signal.signal(signal.SIGINT, signal.default_int_handler)
        return main()
    except KeyboardInterrupt:
        print("ganfleet: interrupted: while starting; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
