"""Screenshots of the FISC, Interactions and Compare pages on the demo workspace, for closing
notes' before/after comparisons (not a timing: nothing here is a benchmark figure).

Runs against whatever checkout is first on the path, so the same script shows an older commit
(``git worktree add ../before REV``) and the current one:

    PYTHONPATH=. .venv/bin/python benchmarks/screens.py benchmarks/results/screens/after
    PYTHONPATH=../before .venv/bin/python benchmarks/screens.py benchmarks/results/screens/before

Each page is stored at 1440 px wide, full height, then halved (PNG) to keep the files small.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

PAGES = {
    "fisc-compas-mlp": "rashomon?data=compas&model=compas-mlp",
    "fisc-compas-gbt": "rashomon?data=compas&model=compas-gbt",
    "interactions-compas-logistic": "interactions?data=compas&model=compas-logistic",
    "compare-mlp-logistic-gbt-fis": (
        "compare?data=compas&models=compas-mlp,compas-logistic,compas-gbt&index=fis"
    ),
}


def _app_api():
    """(create_app, serve_in_thread, compute_result) of the checkout on the path: the layout
    before issue 11 had them in app/ and workbench/analyses.py."""
    try:
        from app.analyses import compute_result
        from app.web import create_app
        from app.web.server import serve_in_thread
    except ImportError:
        from app.server import serve_in_thread
        from workbench.analyses import compute_result

        from app import create_app
    return create_app, serve_in_thread, compute_result


def stored_demo(compute_result):
    """The demo workspace with the results the pages show (the pages' default settings)."""
    from workbench.workspace import demo_workspace

    workspace = demo_workspace(Path(tempfile.mkdtemp()))
    for model in ("compas-mlp", "compas-gbt"):
        compute_result(workspace, "rashomon", model, {})
    for model in ("compas-mlp", "compas-logistic", "compas-gbt"):
        compute_result(workspace, "interactions", model, {"index": "fis"})
    compute_result(workspace, "interactions", "compas-logistic", {})
    return workspace


def settled(driver, timeout: float = 120.0) -> None:
    """Wait until the page has plots and stops growing (three polls, 3 s apart, agree)."""
    last, deadline = None, time.time() + timeout
    while time.time() < deadline:
        time.sleep(3)
        now = (
            len(driver.find_elements("css selector", ".main-svg")),
            driver.execute_script("return document.documentElement.scrollHeight"),
        )
        if now[0] and now == last:
            return
        last = now


def main() -> None:
    from PIL import Image
    from selenium import webdriver

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    create_app, serve_in_thread, compute_result = _app_api()
    server = serve_in_thread(create_app(stored_demo(compute_result)))
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium")
    driver = webdriver.Chrome(options=options)
    try:
        for name, path in PAGES.items():
            driver.set_window_size(1440, 900)
            driver.get(server.url + path)
            settled(driver)
            height = driver.execute_script("return document.documentElement.scrollHeight")
            driver.set_window_size(1440, min(height + 100, 12000))
            time.sleep(2)
            target = args.out / f"{name}.png"
            driver.save_screenshot(str(target))
            with Image.open(target) as image:
                # Halved, full colour: a reduced palette merges the models' marker colours.
                half = image.convert("RGB").resize((image.width // 2, image.height // 2))
                half.save(target, optimize=True)
            print(f"{target} ({height} px tall)")
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    main()
