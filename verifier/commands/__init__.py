"""Subcommands of the ``verifier`` command line; each module exposes ``register(subparsers)``."""
