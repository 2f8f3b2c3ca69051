"""The console at `/` in a real headless Chromium: how long until a user sees operations, for the full synthetic
spec (3,348 operations, 30 MB of JSON) next to the seeds (4 operations), and what loading the whole spec into
the same Swagger UI would cost instead (the baseline the console's per-tag loading avoids), in one run.

    .venv/bin/python bench/console.py [--runs 5]

Each figure is the median of the runs, each in a fresh browser profile (nothing cached):
- open: from navigating to `/` until the first tag's operations are on screen (the page, Swagger UI's bundle,
  the index of all operations and the first tag's spec); "first open" is the first visit of a fresh server,
  which builds the index and the first tag's spec;
- reopen: the same, for a second visit in the same browser (the files come from its cache);
- largest tag: from clicking the tag with the most operations until they are on screen;
- search: from typing a word until the result list shows;
- bytes: what the browser downloaded to open the console (compressed sizes on the wire).
Needs Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "bench"))

from chromium import start_chromium  # noqa: E402
from serving import docmock_server  # noqa: E402
from startup import ensure_full_spec  # noqa: E402

POLL = 0.005
TARGET_S = 1.0


def _until(driver: Any, script: str, timeout: float = 120) -> float:
    """Seconds until `script` (JavaScript returning a truthy value) holds."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if driver.execute_script(script):
            return time.perf_counter() - start
        time.sleep(POLL)
    raise TimeoutError(script)


def measure(base: str) -> dict[str, float]:
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as profile:
        driver = start_chromium(user_data_dir=profile)
        try:
            start = time.perf_counter()
            driver.get(base + "/")
            _until(driver, "return document.querySelectorAll('#dm-swagger .opblock').length > 0")
            opened = time.perf_counter() - start
            wire = driver.execute_script(
                "return performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
                ".reduce((n, e) => n + e.transferSize, 0)")
            counts = driver.execute_script("return [...document.querySelectorAll('#dm-tags button')]"
                                           ".map(b => [b.dataset.tag, +b.lastChild.textContent])")
            tag, count = max(counts, key=lambda c: c[1])
            start = time.perf_counter()
            driver.find_element(By.CSS_SELECTOR, f"#dm-tags button[data-tag='{tag}']").click()
            _until(driver, f"return document.querySelectorAll('#dm-swagger .opblock').length === {count}")
            largest = time.perf_counter() - start
            start = time.perf_counter()
            driver.find_element(By.ID, "dm-search").send_keys("update")
            _until(driver, "return !document.getElementById('dm-results').hidden")
            searched = time.perf_counter() - start
            driver.get("about:blank")
            start = time.perf_counter()
            driver.get(base + "/")  # the same page again: the files from the browser's cache
            _until(driver, "return document.querySelectorAll('#dm-swagger .opblock').length > 0")
            reopened = time.perf_counter() - start
            return {"open": opened, "reopen": reopened, "largest tag": largest, "largest tag ops": count,
                    "search": searched, "KB": wire / 1024}
        finally:
            driver.quit()


def whole_spec_in_swagger_ui(base: str, timeout: float) -> float | None:
    """Seconds for the same Swagger UI bundle to show the operations of the whole `/openapi.json`."""
    with tempfile.TemporaryDirectory() as profile:
        driver = start_chromium(user_data_dir=profile)
        try:
            driver.get(base + "/#report")  # the console's page, for its copy of Swagger UI, without a tag loaded
            _until(driver, "return typeof SwaggerUIBundle === 'function'")
            start = time.perf_counter()
            driver.execute_script("const d = document.createElement('div'); d.id = 'whole'; document.body.append(d);"
                                  "SwaggerUIBundle({url: '/openapi.json', dom_id: '#whole', docExpansion: 'list',"
                                  " validatorUrl: null})")
            try:
                _until(driver, "return document.querySelectorAll('#whole .opblock').length > 0", timeout)
            except TimeoutError:
                return None
            return time.perf_counter() - start
        finally:
            driver.quit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--whole-timeout", type=float, default=120, help="seconds to wait for the baseline")
    args = parser.parse_args()
    full = ensure_full_spec()
    specs = {"seeds (docs_src, 4 ops)": [str(REPO / "docs_src")], "full synthetic (3,348 ops)": ["--spec", str(full)]}
    results: dict[str, dict[str, float]] = {}
    first: dict[str, float] = {}
    whole: float | None = None
    with docmock_server(*specs["seeds (docs_src, 4 ops)"], "--no-state") as (small_base, _), \
            docmock_server(*specs["full synthetic (3,348 ops)"], "--no-state") as (big_base, _):
        bases = {"seeds (docs_src, 4 ops)": small_base, "full synthetic (3,348 ops)": big_base}
        # The first visit of a fresh server pays for building the index and the first tag's spec: shown apart.
        first = {name: measure(base)["open"] for name, base in bases.items()}
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in bases}
        for _ in range(args.runs):  # interleaved, so both specs see the same machine
            for name, base in bases.items():
                runs[name].append(measure(base))
        results = {name: {key: statistics.median(r[key] for r in rs) for key in rs[0]} for name, rs in runs.items()}
        whole = whole_spec_in_swagger_ui(big_base, args.whole_timeout)
    print(f"\nconsole, median of {args.runs} runs (fresh browser profile each)")
    print(f"  {'spec':<28} {'first open s':>13} {'open s':>8} {'reopen s':>9} {'largest tag s':>14} {'(ops)':>6} "
          f"{'search s':>9} {'KB on wire':>11}")
    for name, r in results.items():
        print(f"  {name:<28} {first[name]:>13.3f} {r['open']:>8.3f} {r['reopen']:>9.3f} {r['largest tag']:>14.3f} "
              f"{r['largest tag ops']:>6.0f} {r['search']:>9.3f} {r['KB']:>11.0f}")
    big, small = results["full synthetic (3,348 ops)"], results["seeds (docs_src, 4 ops)"]
    print(f"  full / seeds, open: {big['open'] / small['open']:.2f}   (target: full opens in under {TARGET_S:.0f} s)")
    if whole is None:
        print(f"  baseline, the whole spec in the same Swagger UI: not shown within {args.whole_timeout:.0f} s")
    else:
        print(f"  baseline, the whole spec in the same Swagger UI: {whole:.2f} s "
              f"({whole / big['open']:.1f}x the console's open)")


if __name__ == "__main__":
    main()
