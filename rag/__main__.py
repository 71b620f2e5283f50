"""`python -m rag`: the same front door as the `rag` command."""

from .cli import main

main()
