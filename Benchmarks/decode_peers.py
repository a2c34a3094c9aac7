#!/usr/bin/env python3
"""Runs the peer decoders on the frames `kioskd-bench decode --out DIR` wrote, and prints the
same table as kioskd: per category, codes detected, wrong payloads, false positives, median and
p95 ms per frame.

Peers: zxing-cpp (PyPI `zxing-cpp`, timed in-process around the decode call only, the image
already loaded) and zbarimg (Debian `zbar-tools`, one process per file: its time includes
process start and image loading, so it is printed but not comparable).

Usage: python3 Benchmarks/decode_peers.py DIR
"""
import statistics
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path


def load_manifest(folder):
    rows = []
    for line in (folder / "manifest.tsv").read_text().splitlines():
        file, category, size, expected = line.split("\t")
        rows.append((file, category, size, set(filter(None, expected.split("|")))))
    return rows


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def report(name, results):
    """results: list of (category, size, expected, found, ms)."""
    for size in OrderedDict.fromkeys(r[1] for r in results):
        print(f"== {name}, {size} ==")
        print(f"{'category':<11}{'codes':>6}{'found':>7}{'wrong':>7}{'false+':>7}{'med ms':>8}{'p95 ms':>8}")
        total = [0, 0, 0, 0, []]
        for category in OrderedDict.fromkeys(r[0] for r in results if r[1] == size):
            rows = [r for r in results if r[0] == category and r[1] == size]
            codes = sum(len(r[2]) for r in rows)
            found = sum(len(r[3] & r[2]) for r in rows)
            wrong = sum(len(r[3] - r[2]) for r in rows if r[2])
            false_pos = sum(len(r[3]) for r in rows if not r[2])
            times = [r[4] for r in rows]
            for i, v in enumerate((codes, found, wrong, false_pos)):
                total[i] += v
            total[4] += times
            print(f"{category:<11}{codes:>6}{found:>7}{wrong:>7}{false_pos:>7}"
                  f"{statistics.median(times):>8.2f}{percentile(times, 95):>8.2f}")
        print(f"{'total':<11}{total[0]:>6}{total[1]:>7}{total[2]:>7}{total[3]:>7}"
              f"{statistics.median(total[4]):>8.2f}{percentile(total[4], 95):>8.2f}")


def run_zxing(folder, manifest):
    import zxingcpp
    from PIL import Image
    results = []
    for file, category, size, expected in manifest:
        image = Image.open(folder / file).convert("L")
        start = time.perf_counter()
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - start) * 1000
        found = {c.text for c in codes if c.valid}
        results.append((category, size, expected, found, ms))
    return results


def run_zbarimg(folder, manifest):
    results = []
    for file, category, size, expected in manifest:
        start = time.perf_counter()
        done = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable",
                               str(folder / file)], capture_output=True)
        ms = (time.perf_counter() - start) * 1000
        found = set(done.stdout.decode("utf-8", "replace").splitlines()) if done.returncode == 0 else set()
        results.append((category, size, expected, found, ms))
    return results


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    manifest = load_manifest(folder)
    report("zxing-cpp (PyPI)", run_zxing(folder, manifest))
    report("zbarimg (process per file)", run_zbarimg(folder, manifest))


if __name__ == "__main__":
    main()
