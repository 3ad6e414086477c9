"""The page's own clock for browser timings: when an element first appears, seen by a
MutationObserver inside the page. Selenium's waits poll every 0.5 s and cannot look while the
page's main thread is busy (drawing the tables below the fold), so they overstate a draw time
by up to a second; these times do not."""

from __future__ import annotations

_OBSERVER = """
window.__seen = {};
window.__watching = [];
window.__watch = (name, css, text) => {
  delete window.__seen[name];
  window.__watching.push([name, css, text]);
};
const check = () => {
  for (const [name, css, text] of window.__watching) {
    const found = !(name in window.__seen) && document.querySelector(css);
    if (found && (!text || found.textContent.includes(text))) {
      window.__seen[name] = performance.now();
    }
  }
};
const options = {childList: true, subtree: true, characterData: true};
new MutationObserver(check).observe(document, options);
"""


def watch_every_page(driver, watched: dict[str, str]) -> None:
    """Watch ``watched`` ({name: css}) from the start of every document ``driver`` opens."""
    calls = "".join(f"window.__watch({name!r}, {css!r});" for name, css in watched.items())
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _OBSERVER + calls})


def watch(driver, name: str, css: str, text: str | None = None) -> float:
    """Watch for ``css`` (holding ``text``) from now; returns now on the page's clock (ms)."""
    return driver.execute_script(
        "window.__watch(arguments[0], arguments[1], arguments[2]); return performance.now()",
        name,
        css,
        text,
    )


def seen_at(driver, name: str) -> float | None:
    """When ``name`` appeared, in seconds since the document's navigation began (None: not)."""
    at = driver.execute_script("return (window.__seen || {})[arguments[0]]", name)
    return None if at is None else at / 1000
