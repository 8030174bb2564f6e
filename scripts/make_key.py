#!/usr/bin/env python
"""Create the local pseudonymisation key (never committed) used by the build."""
import argparse
import sys
from pathlib import Path

from forum_anecdotes.keys import create_key_file
from forum_anecdotes.paths import KEY_ENV_VAR, KEY_FILE


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--path", type=Path, default=KEY_FILE, help=f"where to write it (default {KEY_FILE})")
    args = parser.parse_args()
    if args.path.exists():
        print(f"a key already exists at {args.path}; keeping it (pseudonyms and ids depend on it)")
        return 0
    create_key_file(args.path)
    print(f"wrote a new key to {args.path}; keep it private and backed up, or set ${KEY_ENV_VAR} instead")
    return 0


if __name__ == "__main__":
    sys.exit(main())
