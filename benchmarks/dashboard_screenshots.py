"""Browser check of the dashboard: screenshots of a study as a user sees it in optuna-dashboard.

Runs the quick study (``studies/quick.yaml``, in a scratch project so the repository's
``studies/runs/`` is left alone; or reuses a project folder given with ``--project``), starts
``carbonspot dashboard`` on it (loopback, a free port), opens it in headless Chromium and saves
into ``docs/img/``:

* ``dashboard_study_note.png`` — the study's note: the report's comparison of the most
  performant design with the carbon-optimal ones (CA and PA) and the ratios;
* ``dashboard_study.png`` — the study page: Pareto front, history and the study's figures;
* ``dashboard_trial_table.png`` — the trial table (Smart Selection page) with the numeric
  columns ``carbon_ca_g``, ``carbon_pa_g``, the carbon split …;
* ``dashboard_trial.png`` — one Pareto-front trial: its note (design, metrics per inference,
  carbon split, per workload) and its figures (artifacts).

Chromium is the Debian package ``chromium`` (``apt-get install -y chromium``). The PNGs are
cropped and reduced to a 64-colour palette so they stay small. Usage::

    python benchmarks/dashboard_screenshots.py [--out docs/img] [--project DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "studies" / "quick.yaml"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "headless Chromium is needed: install the Debian package `chromium` "
    "(sudo apt-get install -y chromium), or pass --chromium PATH"
)


def find_chromium(given: str | None) -> str:
    """The Chromium executable, or exit with how to install it."""
    for name in (given,) if given else CHROMIUM_NAMES:
        path = shutil.which(name) if name else None
        if path:
            return path
    sys.exit(f"dashboard_screenshots: {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_study(project: Path) -> None:
    """Run (or resume: a finished study returns at once) the quick study in ``project``."""
    (project / "studies").mkdir(parents=True, exist_ok=True)
    target = project / "studies" / STUDY.name
    if not target.exists():
        shutil.copy(STUDY, target)
    cmd = [sys.executable, "-m", "carbonspot", "study", "run", f"studies/{STUDY.name}"]
    subprocess.run([*cmd, "--no-progress"], cwd=project, check=True)


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


def start_dashboard(project: Path, port: int) -> subprocess.Popen:
    """``carbonspot dashboard quick`` on ``port``; returns once its API answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "carbonspot", "dashboard", "quick", "--port", str(port)],
        cwd=project,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            get_json(f"http://127.0.0.1:{port}/api/studies")
            return proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                sys.exit(
                    f"dashboard_screenshots: the dashboard did not start: {proc.stderr.read()}"
                )
            time.sleep(0.3)


def screenshot(
    chromium: str, url: str, out: Path, width: int, height: int, scale: float = 1.0
) -> Image.Image:
    """A headless Chromium screenshot of ``url`` (a window of ``width`` x ``height`` CSS px)."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            "--headless=new",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--force-device-scale-factor={scale}",
            f"--window-size={width},{height}",
            "--virtual-time-budget=10000",  # the dashboard renders client-side
            f"--screenshot={out}",
            url,
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    return Image.open(out)


def _grey(image: Image.Image) -> list[list[int]]:
    grey = image.convert("L")
    w, h = grey.size
    data = grey.tobytes()
    return [list(data[y * w : (y + 1) * w]) for y in range(h)]


def table_lines(image: Image.Image) -> list[int]:
    """Rows of the screenshot that are a table's horizontal rules (light grey, page-wide),
    below the top bar: the trial table's header rule comes first, then each row's."""
    rows = _grey(image)
    out = []
    for y, row in enumerate(rows):
        if y < len(rows) // 4 or (out and y <= out[-1] + 1):
            continue
        inner = row[100:-100]
        if sum(200 < v < 240 for v in inner) > 0.8 * len(inner):
            out.append(y)
    if len(out) < 2:
        sys.exit("dashboard_screenshots: the trial table was not found in the screenshot")
    return out


def content_bottom(image: Image.Image, left: int = 0, margin: int = 16) -> int:
    """Below the last row with anything but the page background right of ``left`` (the side
    bars), plus ``margin``, within the image: the crop leaves out the empty end of the page."""
    rows = _grey(image)
    start = max(left, image.width // 10)
    for y in range(len(rows) - 1, 0, -1):
        row = rows[y][start:]
        if min(row) < 235 and max(row) > min(row):  # a uniform row (a black edge) is no content
            return min(len(rows), y + 1 + margin)
    return len(rows)


def save_small(image: Image.Image, box: tuple[int, int, int, int], path: Path) -> int:
    """Crop, reduce to a 64-colour palette and save; returns the file size in bytes."""
    small = image.crop(box).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path.stat().st_size


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--out", default=str(ROOT / "docs" / "img"), help="folder of the PNGs")
    ap.add_argument("--project", help="project folder holding (or to hold) the quick study")
    ap.add_argument("--chromium", help="Chromium executable (default: chromium on PATH)")
    ap.add_argument("--keep", action="store_true", help="keep the raw screenshots beside the PNGs")
    args = ap.parse_args(argv)
    chromium = find_chromium(args.chromium)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = None
    if args.project:
        project = Path(args.project).resolve()
    else:
        scratch = tempfile.TemporaryDirectory(prefix="carbonspot-dashboard-")
        project = Path(scratch.name)
    run_study(project)
    port = free_port()
    proc = start_dashboard(project, port)
    base = f"http://127.0.0.1:{port}"
    try:
        [summary] = get_json(f"{base}/api/studies")["study_summaries"]
        sid = summary["study_id"]
        detail = get_json(f"{base}/api/studies/{sid}")
        front = [t for t in detail["best_trials"] if t["artifacts"]]
        if not front:
            sys.exit("dashboard_screenshots: no Pareto-front trial carries figures")
        trial = front[0]["number"]
        raw = Path(tempfile.mkdtemp(prefix="shots-"))
        sizes = {}
        page = f"{base}/dashboard/studies/{sid}"
        img = screenshot(chromium, f"{page}/note", raw / "note.png", 1400, 900)
        sizes["dashboard_study_note.png"] = save_small(
            img, (0, 0, img.width, content_bottom(img)), out / "dashboard_study_note.png"
        )
        img = screenshot(chromium, page, raw / "study.png", 1400, 2700, scale=0.6)
        sizes["dashboard_study.png"] = save_small(
            img, (0, 0, img.width, content_bottom(img)), out / "dashboard_study.png"
        )
        # The table is wide (every user attribute is a column): a wide window at 0.55 zoom,
        # cropped to its header and first row.
        img = screenshot(
            chromium, f"{page}/smartSelection", raw / "table.png", 4400, 2600, scale=0.55
        )
        header, first_row = table_lines(img)[:2]
        sizes["dashboard_trial_table.png"] = save_small(
            img,
            (0, header - 72, img.width, min(img.height, first_row + 12)),
            out / "dashboard_trial_table.png",
        )
        url = f"{page}/trials?numbers={trial}"
        img = screenshot(chromium, url, raw / "trial.png", 1400, 1900)
        sizes["dashboard_trial.png"] = save_small(
            img, (250, 0, img.width, content_bottom(img, left=250)), out / "dashboard_trial.png"
        )
        for name, size in sizes.items():
            print(f"{out / name}: {size / 1024:.0f} KiB")
        print(f"trial page: trial {trial}; total {sum(sizes.values()) / 1024:.0f} KiB")
        if args.keep:
            for p in raw.iterdir():
                shutil.copy(p, out / f"raw_{p.name}")
        shutil.rmtree(raw, ignore_errors=True)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if scratch is not None:
            scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
