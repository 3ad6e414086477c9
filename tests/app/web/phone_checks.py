"""What a phone user sees of a drawn figure, read from the page (boxes in CSS pixels), and
the checks on it: every category named by a tick label that overlaps no other, point labels
clear of each other, of the markers and of the plot's edge, hidden labels counted in the figure.
Used by the narrow-window test of tests/app/web/test_browser.py."""

from __future__ import annotations

import re

#: a drawn figure (the graph of ``figure_card(name, …)``): its tick labels, plot area, point
#: labels, markers, subtitle, and the hover text of each labelled trace
_FIGURE_VIEW = """
    const graph = `[id='{"figure":"${arguments[0]}","type":"graph"}'] .js-plotly-plot`;
    const gd = document.querySelector(graph);
    const box = e => {
        const r = e.getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const texts = css => Array.from(gd.querySelectorAll(css)).filter(t => t.textContent)
        .map(t => [t.textContent, box(t)]);
    return {
        ticks: {x: texts('.xtick text'), y: texts('.ytick text')},
        plot: box(gd.querySelector('.nsewdrag')),
        labels: texts('.scatterlayer .textpoint text'),
        markers: Array.from(gd.querySelectorAll('.scatterlayer .point'))
            .filter(p => getComputedStyle(p).opacity !== '0').map(box),
        subtitle: Array.from(gd.querySelectorAll('.gtitle-subtitle'))
            .map(t => t.textContent).join(' '),
        hover: gd.data.filter(t => (t.mode || '').includes('text'))
            .map(t => Array.from(t.hovertext || t.text || [], String)),
    };
"""

#: pixels two boxes may share before they count as overlapping (antialiased glyph edges)
_TOLERANCE = 1.0


#: true once the graph is laid out for the phone and its labels placed (narrow_figures.js)
_NARROWED = """
    const graph = `[id='{"figure":"${arguments[0]}","type":"graph"}'] .js-plotly-plot`;
    const gd = document.querySelector(graph);
    return Boolean(gd && gd._narrow && !gd._narrowBusy);
"""


def figure_view(driver, figure: str) -> dict:
    """The drawn figure ``figure`` as the user sees it (see _FIGURE_VIEW), once laid out for
    the phone."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 15).until(
        lambda d: d.execute_script(_NARROWED, figure), message=f"{figure} not laid out"
    )
    return driver.execute_script(_FIGURE_VIEW, figure)


def overlap(a: list[float], b: list[float]) -> bool:
    """Whether boxes ``[left, top, right, bottom]`` share more than _TOLERANCE px each way."""
    return (
        min(a[2], b[2]) - max(a[0], b[0]) > _TOLERANCE
        and min(a[3], b[3]) - max(a[1], b[1]) > _TOLERANCE
    )


def inside(a: list[float], area: list[float]) -> bool:
    return (
        a[0] >= area[0] - _TOLERANCE
        and a[1] >= area[1] - _TOLERANCE
        and a[2] <= area[2] + _TOLERANCE
        and a[3] <= area[3] + _TOLERANCE
    )


def assert_every_category_named(view: dict, names: list[str]) -> None:
    """Every name is a whole tick label of the figure, and no two of its tick labels overlap."""
    ticks = view["ticks"]["x"] + view["ticks"]["y"]
    shown = {text for text, _ in ticks}
    assert set(names) <= shown, f"categories without a tick label: {set(names) - shown}"
    for axis in ("x", "y"):
        boxes = view["ticks"][axis]
        for i, (text, first) in enumerate(boxes):
            for other, second in boxes[i + 1 :]:
                assert not overlap(first, second), f"tick labels {text!r} and {other!r} overlap"


def assert_point_labels_readable(view: dict, names: list[str]) -> None:
    """Each shown point label lies inside the plot and covers no other label and no marker but
    its own; the labels not shown are counted in the figure's note, and every name stays in
    the hover (what a tap shows)."""
    labels = view["labels"]
    for i, (text, label) in enumerate(labels):
        assert inside(label, view["plot"]), f"label {text!r} leaves the plot area"
        for other, box in labels[i + 1 :]:
            assert not overlap(label, box), f"labels {text!r} and {other!r} overlap"
        covered = [m for m in view["markers"] if overlap(label, m)]
        assert not covered, f"label {text!r} covers {len(covered)} marker(s)"
    hidden = len(names) - len(labels)
    if hidden:
        note = re.search(r"(\d+) labels? hidden", view["subtitle"])
        assert note and int(note.group(1)) == hidden, (hidden, view["subtitle"])
    else:
        assert "hidden" not in view["subtitle"]
    assert any(set(names) <= set(texts) for texts in view["hover"]), view["hover"]
