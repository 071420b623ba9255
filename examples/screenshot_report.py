"""Screenshot an HTML report in headless Chromium, the whole page at one window width.

    python examples/screenshot_report.py data/demo/report.html docs/demo-report.png --width 1000

The page is loaded once to measure its height, then captured at that height.
"""

import argparse
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

# Background networking off: a closed network refuses Chromium's calls home.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def run_chromium(width, height, *args):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("error: Chromium is not installed (Debian: apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
                               *args], capture_output=True, text=True, timeout=120, check=True).stdout


def page_height(page, width):
    with tempfile.TemporaryDirectory() as folder:
        probe = Path(folder) / "probe.html"
        probe.write_text(page.read_text().replace(
            "</body>", "<script>document.title = 'height ' + document.documentElement.scrollHeight</script></body>"))
        dom = run_chromium(width, 1000, "--dump-dom", probe.as_uri())
    return int(re.search(r"<title>height (\d+)</title>", dom).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--width", type=int, default=1000)
    args = parser.parse_args()
    height = page_height(args.page, args.width)
    run_chromium(args.width, height, f"--screenshot={args.output.resolve()}", args.page.resolve().as_uri())
    print(f"wrote {args.output} ({args.width} x {height})")


if __name__ == "__main__":
    main()
