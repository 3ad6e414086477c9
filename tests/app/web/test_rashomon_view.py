"""The FIS cloud as the FISC page's grid shows it: fewer bytes, the same values to 6 digits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from app.web.pages.rashomon_view import CLOUD_DIGITS, cloud_on_page


def test_the_page_cloud_rounds_to_significant_digits_and_drops_empty_columns():
    cloud = pd.DataFrame(
        {
            "interaction": ["a × b", "a × c", "b × c", "a × b"],
            "mask_1": [1.3406000000000002, -0.000123456789, 0.0, np.nan],
            "fis": [123456.789, 7.792279194684948e-05, np.inf, -2.5],
            "group_3": [None, None, None, None],  # a pairs-only result
            "in_set": [True, False, True, True],
        }
    )
    shown = cloud_on_page(cloud)
    assert list(shown.columns) == ["interaction", "mask_1", "fis", "in_set"]
    assert shown["mask_1"].tolist()[:3] == [1.3406, -0.000123457, 0.0]
    assert np.isnan(shown["mask_1"].iloc[3])
    assert shown["fis"].tolist() == [123457.0, 7.79228e-05, np.inf, -2.5]
    relative = np.abs(shown["fis"].iloc[:2] - cloud["fis"].iloc[:2]) / np.abs(cloud["fis"].iloc[:2])
    assert (relative <= 0.5 * 10.0 ** (1 - CLOUD_DIGITS)).all()
    assert cloud["mask_1"].iloc[0] == 1.3406000000000002  # the result itself is untouched
