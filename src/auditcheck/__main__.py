"""``python -m auditcheck`` runs the command line."""

from auditcheck.cli import main

main()
