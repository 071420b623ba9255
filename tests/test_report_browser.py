"""The HTML report rendered by a real browser: headless Chromium, at the widths people read it."""

import os
import re
import shutil
import subprocess

import pytest
from test_cli import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# CI installs the browser and sets this, so a missing browser fails there instead of skipping.
REQUIRED = os.environ.get("DISTILKIT_REQUIRE_BROWSER") == "1"
pytestmark = pytest.mark.skipif(CHROMIUM is None and not REQUIRED, reason="Chromium is not installed")

# Background networking off: this machine's closed network refuses Chromium's calls home.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
# The page's width, and the widest overflow of any scrollable box in it (0 when nothing scrolls sideways).
PROBE = ("<script>document.title = 'widths ' + document.documentElement.scrollWidth + ' ' + window.innerWidth"
         " + ' ' + Math.max(0, ...[...document.querySelectorAll('.scroll')].map(e => e.scrollWidth - e.clientWidth))"
         "</script></body>")


def chromium(tmp_path, width, *args):
    assert CHROMIUM is not None, "Chromium is required here (DISTILKIT_REQUIRE_BROWSER=1)"
    profile = tmp_path / f"profile-{width}-{len(args)}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},1400", *args],
                          capture_output=True, text=True, timeout=120, check=True)


def page_widths(tmp_path, page, width):
    """``(document scrollWidth, innerWidth, widest sideways overflow of a box)`` at this window width."""
    probe = tmp_path / f"probe-{width}.html"
    probe.write_text(page.read_text().replace("</body>", PROBE))
    dom = chromium(tmp_path, width, "--dump-dom", probe.as_uri()).stdout
    scroll, inner, boxes = map(int, re.search(r"<title>widths (\d+) (\d+) (\d+)</title>", dom).groups())
    return scroll, inner, boxes


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    """A report of five binary runs with long names and every section: table, dots, cost, curves, matrices."""
    import numpy as np
    import pandas as pd

    tmp_path = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=["a", "b", "c", "d"])
    frame["label"] = np.where(frame.a + frame.b + rng.normal(size=300) > 0.8, "positive", "negative")
    frame.to_csv(tmp_path / "train.csv", index=False)
    frame.iloc[:150].to_csv(tmp_path / "half.csv", index=False)
    metrics = []
    for i, (estimator, params) in enumerate([("logreg", []), ("logreg", ["-p", "C=0.01"]), ("gaussiannb", []),
                                              ("nbhead", []), ("logreg", ["-p", "C=0.001"])]):
        model = tmp_path / f"a-rather-long-model-name-number-{i}-{estimator}.dkm"
        assert run("fit", estimator, tmp_path / "train.csv", "-t", "label", *params, "-o", model, "-q").exit_code == 0
        data = tmp_path / ("half.csv" if i == 4 else "train.csv")
        metrics.append(tmp_path / f"{i}.json")
        result = run("evaluate", model, data, "--json", metrics[-1], "-q")
        assert result.exit_code == 0, result.output
    page = tmp_path / "report.html"
    result = run("report", *metrics, "--html", page)
    assert result.exit_code == 0, result.output
    assert "warning: these runs were evaluated on different data" in result.stderr
    # A dozen runs (the five above, repeated) must fit too.
    crowded = tmp_path / "crowded.html"
    assert run("report", *metrics, *metrics, *metrics[:2], "--html", crowded).exit_code == 0
    return page, crowded


@pytest.mark.parametrize("width", [1000, 1600])
@pytest.mark.parametrize("which", ["five runs", "twelve runs"])
def test_the_report_fits_the_window_without_horizontal_scrolling(tmp_path, report_page, width, which):
    page = report_page[which == "twelve runs"]
    scroll, inner, boxes = page_widths(tmp_path, page, width)
    # Nothing inside scrolls sideways either: the tables fit their boxes.
    assert inner == width and scroll <= inner and boxes == 0
    shot = tmp_path / f"report-{width}.png"
    chromium(tmp_path, width, f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 50_000


def test_the_report_has_every_section(report_page):
    page = report_page[0].read_text()
    for section in ("Warning:", "Quality against cost", "ROC curve", "precision-recall curve", "reliability diagram",
                    "calibration of the positive class", "Confusion matrices", "lower is better"):
        assert section in page, section
    assert page.count('class="swatch" style="background:#1f77b4"') >= 3  # run 1's colour in table, matrix, list
