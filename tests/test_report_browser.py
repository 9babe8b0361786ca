"""The HTML report opened in a real browser, as a reader sees it in a 1,280 x 800 window.

Headless Chromium driven by Selenium opens the report of a small comparison (the
baseline and two strategies) from a ``file://`` URL, so anything the page tried
to fetch from elsewhere would fail and show as a console error or a broken
image.  The tests check that the first screen holds the decision summary and its
headline figure, that nothing is wider than the window (no sideways scrolling,
no table scrolling in its box, no clipped cell), that no link names an absolute
``file://`` path, and save screenshots: to the folder named by the environment
variable ``SPC_SCREENSHOTS`` if set, else to the test's temporary folder.
Needs ``chromium`` and ``chromium-driver`` (Debian: ``apt-get install chromium
chromium-driver``; ``.ci/run`` installs them); without a browser the tests are
skipped and say so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main

ROOT = Path(__file__).resolve().parent.parent
TINY = ["run.years=0.5", "run.warmup_years=0.1", "customers.initial=200", "providers.count=2"]
INSTALL = "install one with: apt-get install chromium chromium-driver"
#: the window the report must answer in: a laptop screen
WIDTH, HEIGHT = 1280, 800
#: where the screenshots go, if set (else the test's temporary folder)
SCREENSHOTS = "SPC_SCREENSHOTS"
#: the tallest page screenshot (pixels): the answers, figures and the first tables
FULL_PAGE = 10_000


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (name if Path(name).is_file() else None)
        if found:
            return found
    return None


def _viewport(driver: Any) -> tuple[int, int]:
    size = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    return int(size[0]), int(size[1])


def _set_viewport(driver: Any, width: int, height: int) -> None:
    """Size the window so that the page itself (not the window) is ``width`` x ``height``."""
    driver.set_window_size(width, height)
    inner_w, inner_h = _viewport(driver)
    driver.set_window_size(2 * width - inner_w, 2 * height - inner_h)
    assert _viewport(driver) == (width, height)


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
                f"--window-size={WIDTH},{HEIGHT}", "--hide-scrollbars"):
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
    """The HTML report of a tiny comparison of the baseline with two strategies."""
    root = tmp_path_factory.mktemp("browser")
    sets = [a for kv in TINY for a in ("--set", kv)]
    scenarios = [str(ROOT / "scenarios" / f"{name}.toml")
                 for name in ("baseline", "reliability_high", "empowerment_high")]
    assert main(["compare", *scenarios, *sets, "--replications", "2", "--executor",
                 "sequential", "--out", str(root / "results"), "--quiet"]) == 0
    assert main(["report", str(root / "results"), "--quiet"]) == 0
    return root / "results" / "report.html"


@pytest.fixture
def page(browser: Any, report: Path) -> Any:
    """The report in a 1,280 x 800 window, scrolled to the top."""
    _set_viewport(browser, WIDTH, HEIGHT)
    browser.get(report.resolve().as_uri())
    assert browser.execute_script("return document.readyState") == "complete"
    return browser


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ[SCREENSHOTS]) if os.environ.get(SCREENSHOTS) else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _screenshot(driver: Any, path: Path) -> None:
    assert driver.save_screenshot(str(path))
    png = path.read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_report_opens_in_chromium_with_every_figure_and_no_errors(page: Any) -> None:
    assert page.title == "reliability_high, empowerment_high compared with baseline"
    images = page.execute_script(
        "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth])")
    assert len(images) >= 5, "the report shows the headline figure and the others"
    broken = [alt for alt, complete, width in images if not (complete and width > 0)]
    assert not broken, f"images that did not load: {broken}"
    assert page.execute_script("return document.querySelectorAll('table').length") >= 6
    errors = [entry for entry in page.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors


def test_first_screen_shows_the_decision_and_its_headline_figure(page: Any,
                                                                shots: Path) -> None:
    rects = page.execute_script("""
        const box = s => { const e = document.querySelector(s);
                           if (!e) return null;
                           const r = e.getBoundingClientRect();
                           return [r.top, r.bottom, r.left, r.right]; };
        return {heading: box('#decision h2'), figure: box('#figure-decision_headline img'),
                table: box('table#decision'), kpis: box('#kpis'),
                run: box('#what-was-run')};""")
    for name in ("heading", "figure", "table"):
        top, bottom, left, right = rects[name]
        assert 0 <= top and bottom <= HEIGHT, (name, rects[name])  # wholly on the first screen
        assert 0 <= left and right <= WIDTH, (name, rects[name])
    top, bottom = rects["figure"][:2]
    assert bottom - top >= 150, "the headline figure is shown at a readable size"
    assert rects["run"][0] > HEIGHT, "what was run (the metadata) comes below the answer"
    _screenshot(page, shots / "report_first_screen.png")


def test_nothing_is_wider_than_the_window_and_no_cell_is_clipped(page: Any,
                                                                 shots: Path) -> None:
    page.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    wide = page.execute_script("""
        const width = document.documentElement.clientWidth, out = [];
        if (document.documentElement.scrollWidth > width)
            out.push(['page', document.documentElement.scrollWidth]);
        for (const e of document.querySelectorAll('table, img, figure, pre, p, h1, h2'))
            if (e.getBoundingClientRect().right > width)
                out.push([e.tagName, e.id, e.getBoundingClientRect().right]);
        for (const e of document.querySelectorAll('.table-wrap, pre'))  // no scrolling inside
            if (e.scrollWidth > e.clientWidth)
                out.push(['scrolls', e.firstElementChild && e.firstElementChild.id,
                          e.scrollWidth, e.clientWidth]);
        for (const e of document.querySelectorAll('td, th'))  // nothing cut off in a cell
            if (e.scrollWidth > e.clientWidth + 1)
                out.push(['clipped', e.textContent.slice(0, 40), e.scrollWidth,
                          e.clientWidth]);
        return out;""")
    assert not wide, wide
    assert page.execute_script("return document.querySelectorAll('td').length") > 200
    height = int(page.execute_script("return document.body.scrollHeight"))
    page.set_window_size(WIDTH, min(height + 200, FULL_PAGE))  # a tall shot costs seconds
    _screenshot(page, shots / "report_full_page.png")


def test_no_link_names_an_absolute_path(page: Any) -> None:
    links = page.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.getAttribute('href'))")
    outside = [h for h in links if not h.startswith("#")]
    assert outside, "the report links to the documentation"
    for href in outside:  # relative to the report's folder (tests/test_report.py follows them)
        assert not href.startswith(("file:", "/")) and "://" not in href, href
    images = page.execute_script(
        "return Array.from(document.images, i => i.getAttribute('src').slice(0, 22))")
    assert all(src.startswith("data:image/") for src in images), images  # embedded
