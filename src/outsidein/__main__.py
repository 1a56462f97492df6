"""``python -m outsidein`` runs the CLI."""

from outsidein.cli import main

main()
