"""Refreshing source tables from SSB's StatBank API, PxWebApi v2 (docs/data.md).

:mod:`.client` talks to the API (httpx), :mod:`.jsonstat` reads JSON-stat2, :mod:`.tables`
declares the tables the build uses and converts them to its source files, :mod:`.update`
writes them into a user's inputs directory, :mod:`.diff` compares two inputs directories.
"""
