"""``helsemodlite explore``: the Streamlit page on 127.0.0.1 (docs/explore.md).

Streamlit runs as a child process (``python -m streamlit run``) with its usage statistics off,
headless (no browser opened for you), bound to 127.0.0.1 only; the inputs directory reaches the
page through an environment variable. Chosen over Panel, Dash and Shiny for its headless test
harness (``streamlit.testing.v1.AppTest`` runs the page's logic without a browser) and because
its charts are drawn in the browser from bundled code, with no network.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from ..errors import ConfigError

APP = Path(__file__).with_name("app.py")
INPUTS_ENV = "HELSEMODLITE_EXPLORE_INPUTS"


def command(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address=127.0.0.1",
        f"--server.port={port}",
        "--server.headless=true",
        "--browser.gatherUsageStats=false",
        "--global.developmentMode=false",
        "--server.fileWatcherType=none",
        "--client.toolbarMode=minimal",
        "--runner.magicEnabled=false",
        "--logger.level=warning",  # not Streamlit's "server started" lines beside our address
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_port(port: int) -> None:
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port must be 1-65535, got {port}")
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            raise ConfigError(f"--port {port}: already in use on 127.0.0.1; give another") from None


def start(port: int, inputs: str | None) -> subprocess.Popen[bytes]:
    """The page's server process (the caller waits for it or stops it)."""
    try:
        import streamlit  # noqa: F401
    except ImportError:
        raise ConfigError("explore needs Streamlit: pip install 'helsemodlite[explore]'") from None
    env = {**os.environ, "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    if inputs is not None:
        env[INPUTS_ENV] = str(Path(inputs).resolve())
    return subprocess.Popen(command(port), env=env, stdout=subprocess.DEVNULL)
