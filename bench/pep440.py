#!/usr/bin/env python3
"""Times pypa/packaging on the list bench/pep440.js writes: Version(s) + str() per line.

Usage: python3 bench/pep440.py FILE ROUNDS  (FILE holds one JSON string per line, so that
whitespace and odd characters survive). Prints a JSON object with the best round.
"""
import json
import sys
import time

import packaging
from packaging.version import Version


def main() -> None:
    path, rounds = sys.argv[1], int(sys.argv[2])
    with open(path, encoding="utf-8") as f:
        items = [json.loads(line) for line in f]
    best = float("inf")
    valid = 0
    for r in range(rounds + 1):  # round 0 warms up
        valid = 0
        t0 = time.perf_counter()
        for s in items:
            try:
                str(Version(s))
                valid += 1
            except ValueError:  # InvalidVersion is a ValueError
                pass
        dt = time.perf_counter() - t0
        if r > 0:
            best = min(best, dt)
    print(json.dumps({"seconds": best, "valid": valid, "n": len(items),
                      "packaging": packaging.__version__, "python": sys.version.split()[0]}))


if __name__ == "__main__":
    main()
