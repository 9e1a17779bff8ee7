"""`python -m cds_hooks` behaves exactly like the `facial-twitch-cds` command."""

from .cli import main

main()
