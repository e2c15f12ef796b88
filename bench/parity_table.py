"""Turns bench/out/parity.jsonl (from anonymeter_parity.py) into the Markdown table of issue 3
and writes it into BENCHMARKS.md between the parity markers."""
import json
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
START, END = "<!-- issue3-parity:start -->", "<!-- issue3-parity:end -->"
NAMES = {"so-uni": "singling out, univariate", "so-multi": "singling out, multivariate (n_cols 3)",
         "link": "linkability (notebook aux split, k = 10)", "inf:income": "inference (secret income, 14 aux)"}


def fmt(r):
    return f"{r['risk']:.4f} [{r['ci'][0]:.4f}, {r['ci'][1]:.4f}]"


def table(rows):
    out = ["| attack | n_attacks | seed | datavisa risk [CI] | Anonymeter 1.1.0 risk [CI] | overlap | datavisa s | Anonymeter s | speed-up |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        a, d = r["anonymeter"], r["datavisa"]
        out.append(f"| {NAMES.get(r['attack'], r['attack'])} | {r['n_attacks']} | {r['seed']} | "
                   f"{fmt(d) if d else 'failed'} | {fmt(a) if a else 'failed: ' + ' '.join(sum(r['errors'], []))} | "
                   f"{'yes' if r.get('overlap') else 'no'} | {r['secs_datavisa']:.2f} | {r['secs_anonymeter']:.1f} | "
                   f"{r['secs_anonymeter'] / r['secs_datavisa']:.0f}x |")
    out.append("")
    out.append("| attack | n_attacks | median speed-up | all intervals overlap |")
    out.append("| --- | --- | --- | --- |")
    keys = sorted({(r["attack"], r["n_attacks"]) for r in rows}, key=lambda k: (list(NAMES).index(k[0]) if k[0] in NAMES else 9, k[1]))
    for k in keys:
        g = [r for r in rows if (r["attack"], r["n_attacks"]) == k]
        med = statistics.median(r["secs_anonymeter"] / r["secs_datavisa"] for r in g)
        out.append(f"| {NAMES.get(k[0], k[0])} | {k[1]} | {med:.0f}x | {'yes' if all(r.get('overlap') for r in g) else 'no'} ({len(g)} seeds) |")
    return "\n".join(out)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "out", "parity.jsonl")
    rows = [json.loads(l) for l in open(src)]
    md = table(rows)
    path = os.path.join(os.path.dirname(HERE), "BENCHMARKS.md")
    text = open(path).read()
    if START in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + START + "\n" + md + "\n" + END + tail
    else:
        text += "\n" + START + "\n" + md + "\n" + END + "\n"
    open(path + ".tmp", "w").write(text)
    os.replace(path + ".tmp", path)
    print(md)


if __name__ == "__main__":
    main()
