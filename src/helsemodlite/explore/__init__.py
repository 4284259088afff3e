"""A live explorer: move the plan's levers and see every group's gap move (docs/explore.md).

:mod:`.controls` generates the controls from the hook declarations and maps the page to a
scenario and back (pure Python, tested without a browser); :mod:`.app` is the Streamlit page;
:mod:`.serve` starts it on 127.0.0.1 (``helsemodlite explore``; ``pip install
"helsemodlite[explore]"``).
"""
