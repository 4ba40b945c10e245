"""One worker process of a run cut over several processes.

``python -m peerpreserve.inspect_adapter.worker SPEC.json`` runs the shards in the spec
(written by ``run_experiment``) as one Inspect eval set and exits 0 when every sample
completed, 1 when some did not, 2 when the spec cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .run import run_shards_here


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m peerpreserve.inspect_adapter.worker SPEC.json", file=sys.stderr)
        return 2
    try:
        spec = json.loads(Path(args[0]).read_text())
    except (OSError, ValueError) as ex:
        print(f"worker: cannot read {args[0]}: {ex}", file=sys.stderr)
        return 2
    return 0 if run_shards_here(spec) else 1


if __name__ == "__main__":
    sys.exit(main())
