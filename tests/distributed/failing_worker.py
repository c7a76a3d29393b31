"""A torchrun worker for the failure test: on rank 1, every batch from step 3 on is "corrupt".

Fault injection (the test's doing, not ganfleet's): rank 1 raises DataError
mid-run, as it would on a bad image; everything else is the real CLI.
"""

from __future__ import annotations

import os
import sys

from ganfleet.cli import main
from ganfleet.data.stream import BatchStream
from ganfleet.errors import DataError

if os.environ.get("RANK") == "1":
    real_batch = BatchStream.batch

    def corrupt_from_batch_3(self: BatchStream, index: int):
        if index >= 3:
            raise DataError(f"corrupt image in batch {index}")
        return real_batch(self, index)

    BatchStream.batch = corrupt_from_batch_3  # type: ignore[method-assign]

sys.exit(main(sys.argv[1:]))
