"""python -m cqreport: the same as the cqreport command."""

from .cli import main

main()
