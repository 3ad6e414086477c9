"""The README's Python example is the public API: it must run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_readme_python_example_runs(tmp_path, monkeypatch):
    if shutil.which("chromium") is None:
        pytest.skip("the example exports a PNG, which needs Chromium (apt-get install chromium)")
    readme = (ROOT / "README.md").read_text()
    code = re.search(r"## From Python\s+```python\n(.*?)```", readme, re.S).group(1)
    code = code.replace('"sample_data/', f'"{ROOT}/sample_data/')
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    result = namespace["result"]
    assert len(result.interactions) == 21  # 7 prefix groups of COMPAS -> 21 pairs
    assert (tmp_path / "swarm.html").exists() and (tmp_path / "swarm.png").exists()
    assert namespace["again"].summary().equals(result.summary())
