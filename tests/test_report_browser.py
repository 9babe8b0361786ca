"""The HTML report opened in a real browser: every figure loads, nothing complains.

Headless Chromium driven by Selenium opens the report from a ``file://`` URL,
so anything the page tried to fetch from elsewhere would fail and show as a
console error or a broken image.  Needs ``chromium`` and ``chromium-driver``
(Debian: ``apt-get install chromium chromium-driver``; ``.ci/run`` installs
them); without a browser the test is skipped and says so.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ["run.years=0.5", "run.warmup_years=0.1", "customers.initial=200", "providers.count=2"]
INSTALL = "install one with: apt-get install chromium chromium-driver"


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason='selenium is not installed (pip install -e ".[test]")')
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    binary = _find("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
    driver_path = _find("/usr/bin/chromedriver", "chromedriver")
    if binary is None or driver_path is None:
        pytest.skip(f"no Chromium browser or chromedriver found; {INSTALL}")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    try:
        driver = webdriver.Chrome(service=Service(driver_path), options=options)
    except WebDriverException as exc:
        pytest.skip(f"Chromium did not start ({exc.msg}); {INSTALL}")
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of two tiny replications."""
    root = tmp_path_factory.mktemp("browser")
    sets = [a for kv in TINY for a in ("--set", kv)]
    assert main(["run", str(ROOT / "scenarios" / "baseline.toml"), *sets, "--replications",
                 "2", "--executor", "sequential", "--out", str(root / "results"),
                 "--quiet"]) == 0
    assert main(["report", str(root / "results"), "--quiet"]) == 0
    return root / "results" / "report.html"


def test_report_opens_in_chromium_with_every_figure_and_no_errors(
        browser: Any, report: Path, tmp_path: Path) -> None:
    browser.get(report.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title == "baseline: 2 replications"
    images = browser.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
    assert images, "the report shows figures"
    broken = [alt for alt, complete, width in images if not (complete and width > 0)]
    assert not broken, f"images that did not load: {broken}"
    tables = browser.execute_script("return document.querySelectorAll('table').length")
    assert tables >= 4
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1280, min(int(height), 6000))
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot))
    png = shot.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
