"""Command-line interface: a thin adapter over the public Python API.

Every sub-command parses its arguments, calls one API function and prints or writes the result.
Bad input (inputs directory, scenario file, arguments) exits with code 2 and a message naming
the file and key or column, without a traceback and without writing anything.

One module per group of commands, each with its ``register`` (the arguments) and its
``_cmd_*`` functions; :mod:`.entry` builds the parser from them and runs the command; the
printing helpers are in :mod:`.text`, the shared options in :mod:`.common`. Only these modules
print. Every module imports pandas, numpy and the model inside its functions, so ``--help``
and a bad argument answer without loading them.
"""

from .entry import main

__all__ = ["main"]
