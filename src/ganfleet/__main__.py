"""`python -m ganfleet` is the `ganfleet` command (`run`: also the installed script's entry point)."""

import sys


def run() -> int:
    """The command; a Ctrl-C while it still starts (imports take seconds, then the parser) is one line, exit 130.

    Once a command runs, `main` answers a Ctrl-C itself (what was saved, how to go on).
    """
    try:
        from ganfleet.cli import main

        return main()
    except KeyboardInterrupt:
        print("ganfleet: interrupted: while starting; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(run())
