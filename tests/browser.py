"""Browser fixtures (a pytest plugin loaded by tests/conftest.py, so one Chromium serves every test): real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against pytest-django's
live server. Never `playwright install`: the system browser is used."""

import os
import warnings
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PASSWORD = "Pass-word-123"  # tests/factories.UserFactory


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Session:
    """One user's browser tab, with helpers to log in and to take the two screenshots."""

    def __init__(self, browser, base_url: str):
        self.context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base_url = base_url
        self.asset_bytes: dict[str, int] = {}
        self.page.on("response", self._count)

    def _count(self, response):
        if response.request.resource_type in ("stylesheet", "script", "image", "font", "media"):
            try:
                self.asset_bytes[response.url] = len(response.body())
            except Exception:  # noqa: BLE001, S110 - a redirect or an aborted request has no body
                pass

    def goto(self, path: str):
        self.asset_bytes.clear()
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, username: str, password: str = PASSWORD):
        page = self.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        page.locator("main button[type=submit]").click()
        page.wait_for_url(self.base_url + "/")
        return page

    def shoot(self, name: str, *, strict: bool = True):
        """Full-page screenshots at 390 px and 1280 px wide. A page wider than the phone fails the
        test (`strict`), or only warns for pages other parts of the system own."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page = self.page
        for width, height in ((390, 844), (1280, 900)):
            page.set_viewport_size({"width": width, "height": height})
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            if width == 390:
                overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
                if overflow > 0:
                    message = f"{name} is {overflow} px wider than a 390 px phone"
                    assert not strict, message
                    warnings.warn(message, stacklevel=2)
        page.set_viewport_size({"width": 390, "height": 844})

    def close(self):
        self.context.close()


@pytest.fixture
def open_session(browser, live_server):
    sessions = []

    def make() -> Session:
        session = Session(browser, live_server.url)
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.close()
