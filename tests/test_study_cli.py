"""The study commands on the real objective (evaluate_design), and the dashboard."""

import csv
import socket
import subprocess
import sys
import time
import urllib.request

CLI = [sys.executable, "-m", "carbonspot"]

SMALL = """name: small
workloads: [ae]
template: dimc
variables:
  d1: {pow2: [16, 32]}
  d2: {pow2: [16, 32]}
objectives: [latency, energy, carbon_ca]
constraints: {max_area_mm2: 100}
solver: grid
n_trials: 4
"""


def _cli(*args, cwd):
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_status_pareto_export_and_dashboard(tmp_path):
    (tmp_path / "studies").mkdir()
    f = tmp_path / "studies" / "small.yaml"
    f.write_text(SMALL)
    r = _cli("study", "run", str(f), "--no-progress", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "4 complete trials" in r.stdout and "Pareto front" in r.stdout
    journal = tmp_path / "studies" / "runs" / "small.journal"
    assert journal.exists()  # embedded storage beside the study file's project

    r = _cli("study", "status", "small", cwd=tmp_path)
    assert r.returncode == 0 and "trials complete" in r.stdout and " 4" in r.stdout
    r = _cli("study", "pareto", "small", cwd=tmp_path)
    assert r.returncode == 0 and "latency_ns" in r.stdout
    out = tmp_path / "t.csv"
    r = _cli("study", "export", "small", "--csv", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 4
    assert {"number", "state", "d1", "d2", "latency_ns", "energy_pj", "carbon_ca_g"} <= set(rows[0])
    assert all(float(r_["latency_ns"]) > 0 for r_ in rows if r_["feasible"] == "True")

    r = _cli("study", "status", "nothere", cwd=tmp_path)
    assert r.returncode == 2 and "no study" in r.stderr

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [*CLI, "dashboard", "--storage", str(journal), "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        body = ""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/api/studies", timeout=5
                ) as resp:
                    body = resp.read().decode()
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                time.sleep(0.3)
        assert '"small"' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/dashboard", timeout=5) as resp:
            assert resp.status == 200 and "<html" in resp.read().decode().lower()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
