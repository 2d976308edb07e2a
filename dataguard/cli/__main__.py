"""``python -m dataguard.cli``."""

from dataguard.cli import main

if __name__ == "__main__":
    main()
