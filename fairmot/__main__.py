import sys

from fairmot.cli import main

if __name__ == "__main__":  # worker processes (--workers) import this module without running it
    sys.exit(main())
