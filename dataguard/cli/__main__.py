"""``python -m dataguard.cli``."""

from dataguard.cli import main

main()
