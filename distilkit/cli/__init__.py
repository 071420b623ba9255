"""The ``distilkit`` command line (Typer). Thin: parses, calls the library, renders."""

from distilkit.cli.app import app


def main():
    """Console-script entry point."""
    app()


__all__ = ["app", "main"]
