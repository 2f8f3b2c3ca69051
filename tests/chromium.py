"""A real headless Chromium driven by selenium, for the console's browser tests, its benchmark and its
screenshots. Debian's packages `chromium` and `chromium-driver` provide the browser and its driver (`.ci/run`
installs them); selenium is told where they are, so it never tries to download a browser of its own."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

# The flags a closed network needs: without them Chromium keeps calling home and its connections are refused.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--hide-scrollbars")
INSTALL_HINT = "apt-get install -y chromium chromium-driver"


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver") or next((p for p in ("/usr/lib/chromium/chromedriver",)
                                                  if Path(p).exists()), None)
    return (browser, driver) if browser and driver else None


def start_chromium(width: int = 1400, height: int = 1000, user_data_dir: str | None = None) -> Any:
    """A new headless Chromium session; raises RuntimeError naming the missing piece."""
    found = find_browser()
    if found is None:
        raise RuntimeError(f"no Chromium with its driver on this machine ({INSTALL_HINT})")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    if user_data_dir:
        options.add_argument(f"--user-data-dir={user_data_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(found[1]), options=options)
