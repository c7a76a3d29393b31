"""`python -m ganfleet` is the `ganfleet` command."""

from ganfleet.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
