"""The assessment half of bench/serve_issue21.sh: the API's overhead on an assessment against
the CLI's, and whether the two give the same JSON (issue 21 §7).

Through a running server (--base) with the steward token in DV_TOKEN: uploads the source and
the control, makes a generalized twin as a job (POST /api/v1/twins/generalize), then runs the
same assessment (same twin, source, control, spec, recipient and seed) RUNS times through the
CLI (`datavisa assess` on the store's own files: the twin the job wrote, the stored datasets)
and RUNS times through the API (POST /api/v1/assessments, then the job's SSE stream until it
ends), interleaved. Writes one JSON object (times, medians, ratio, differing JSON paths) to
--out. Standard library only.
"""

import argparse
import http.client
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

# Fields that name a record or where its files are, never a result: the register's id and
# time, the command that re-runs it and the stored body's hash (both name the files), and the
# paths of the twin, its manifest and the source (the server reads them from its store).
WHERE_AND_WHEN = {
    "/id",
    "/created_at",
    "/command",
    "/body_sha256",
    "/twin/path",
    "/manifest/path",
    "/source/path",
    "/control/path",
}


class Api:
    """A tiny client of the server at `base` with a bearer token."""

    def __init__(self, base, token):
        u = urllib.parse.urlparse(base)
        self.host, self.port = u.hostname, u.port
        self.token = token

    def call(self, method, path, body=None, ctype="application/json"):
        c = http.client.HTTPConnection(self.host, self.port, timeout=600)
        headers = {"Authorization": f"Bearer {self.token}"}
        if body is not None:
            headers["Content-Type"] = ctype
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def json(self, method, path, body=None, ctype="application/json", want=(200,)):
        status, data = self.call(method, path, body, ctype)
        if status not in want:
            sys.exit(f"{method} {path}: {status} {data[:500]!r}")
        return json.loads(data)

    def upload(self, path):
        name = urllib.parse.quote(Path(path).name)
        d = self.json("POST", f"/api/v1/datasets?name={name}", Path(path).read_bytes(),
                      "text/csv", want=(201,))
        return d["sha256"]

    def wait(self, job_id):
        """Reads the job's SSE stream to its end (the server closes it after the job's last
        event, which it sends once the end is recorded); the job's record."""
        c = http.client.HTTPConnection(self.host, self.port, timeout=600)
        c.request("GET", f"/api/v1/jobs/{job_id}/events",
                  headers={"Authorization": f"Bearer {self.token}"})
        r = c.getresponse()
        if r.status != 200:
            sys.exit(f"events of {job_id}: {r.status} {r.read()[:300]!r}")
        events = 0
        while chunk := r.read(65536):
            events += chunk.count(b"event: progress")
        c.close()
        job = self.json("GET", f"/api/v1/jobs/{job_id}")
        job["_events"] = events
        return job

    def run_job(self, path, body):
        job = self.json("POST", path, json.dumps(body).encode(), want=(202,))
        done = self.wait(job["id"])
        if done["state"] != "succeeded":
            sys.exit(f"job {job['id']} ended {done['state']}: {done.get('problem')}")
        return done


def server_cpu(pid):
    """The server process's user + system CPU seconds so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    """User + system CPU seconds of the ended children of this process."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def differing(a, b, at="", out=None):
    """The JSON paths at which `a` and `b` differ."""
    out = [] if out is None else out
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            differing(a.get(k), b.get(k), f"{at}/{k}", out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            differing(x, y, f"{at}/{i}", out)
    elif a != b:
        out.append(at)
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--base", required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--dv", required=True, help="the datavisa binary")
    p.add_argument("--store", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--control", required=True)
    p.add_argument("--quasi", action="append", required=True)
    p.add_argument("--k", type=int, default=20)
    p.add_argument("--suppression", type=float, default=0.05)
    p.add_argument("--recipient", default="public")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    api = Api(a.base, os.environ["DV_TOKEN"])
    spec = Path(a.spec).read_text()
    store = Path(a.store)

    source, control = api.upload(a.source), api.upload(a.control)
    gen = api.run_job("/api/v1/twins/generalize", {
        "dataset": source, "spec": spec, "quasi": a.quasi, "k": a.k,
        "suppression": a.suppression})
    twin_sha = gen["result"]["output"]["sha256"]
    # The CLI reads the very files the server assesses: the job's twin (manifest beside it)
    # and the stored datasets.
    twin_file = store / "twins" / gen["id"] / "twin.csv"
    stored = {h: next(store.rglob(f"{h}.csv")) for h in (source, control)}
    if not twin_file.is_file():
        sys.exit(f"the job's twin is not at {twin_file}")

    cli_cmd = [a.dv, "assess", "--spec", a.spec, "--twin", str(twin_file),
               "--source", str(stored[source]), "--control", str(stored[control]),
               "--recipient", a.recipient, "--seed", str(a.seed), "--store", str(store),
               "--quiet", "--format", "json"]
    api_body = {"twin": twin_sha, "source": source, "control": control, "spec": spec,
                "recipient": a.recipient, "seed": a.seed}

    # Wall time is what a user waits; CPU time (the CLI's process, the server's process over
    # the job) is the same work with less of the other processes' noise in it.
    def cli_once():
        t, c = time.perf_counter(), children_cpu()
        r = subprocess.run(cli_cmd, capture_output=True, check=False)
        s = time.perf_counter() - t
        if r.returncode != 0:
            sys.exit(f"datavisa assess failed: {r.stderr.decode()[:500]}")
        cli_cpu.append(children_cpu() - c)
        return s, json.loads(r.stdout)

    def api_once():
        t, c = time.perf_counter(), server_cpu(a.server_pid)
        done = api.run_job("/api/v1/assessments", api_body)
        s = time.perf_counter() - t
        api_cpu.append(server_cpu(a.server_pid) - c)
        events.append(done["_events"])
        return s, done["result"]

    cli_s, api_s, cli_json, api_json, events = [], [], [], [], []
    cli_cpu, api_cpu = [], []
    for i in range(a.runs):
        # Alternate which goes first, so that a drift of the machine's load hits both alike.
        order = [(cli_once, cli_s, cli_json), (api_once, api_s, api_json)]
        for once, times, results in (order if i % 2 == 0 else order[::-1]):
            s, j = once()
            times.append(s)
            results.append(j)
        print(f"  run {i + 1}: cli {cli_s[-1]:.2f} s ({cli_cpu[-1]:.2f} s CPU), "
              f"api {api_s[-1]:.2f} s ({api_cpu[-1]:.2f} s CPU)", file=sys.stderr)

    diff = differing(api_json[0], cli_json[0])
    # Repeatability: every run of one front end gives the same result as its first.
    unstable = sorted({d for runs in (cli_json, api_json) for j in runs[1:]
                       for d in differing(runs[0], j)} - WHERE_AND_WHEN)
    out = {
        "twin_rows": gen["result"].get("output", {}).get("rows"),
        "twin_sha256": twin_sha,
        "runs": a.runs,
        "seed": a.seed,
        "cli_seconds": cli_s,
        "api_seconds": api_s,
        "cli_median": statistics.median(cli_s),
        "api_median": statistics.median(api_s),
        "ratio": statistics.median(api_s) / statistics.median(cli_s),
        "cli_cpu_seconds": cli_cpu,
        "api_cpu_seconds": api_cpu,
        "cli_cpu_median": statistics.median(cli_cpu),
        "api_cpu_median": statistics.median(api_cpu),
        "cpu_ratio": statistics.median(api_cpu) / statistics.median(cli_cpu),
        "verdict": api_json[0].get("verdict"),
        "api_progress_events": events,
        "json_differs_at": diff,
        "json_differs_beyond_where_and_when": sorted(set(diff) - WHERE_AND_WHEN),
        "unstable_across_runs": unstable,
    }
    Path(a.out).write_text(json.dumps(out, indent=2))
    # The first result of each, to look into a difference (BENCH_KEEP=1 keeps them).
    for name, runs in (("cli", cli_json), ("api", api_json)):
        Path(a.out).with_name(f"assess-{name}.json").write_text(json.dumps(runs[0], indent=2))


if __name__ == "__main__":
    main()
