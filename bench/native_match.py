#!/usr/bin/python3
"""Native OpenCV side of `npm run bench -- vision`.

Reads a job file written by bench/vision.ts: gray images as raw bytes (the very arrays the wasm matcher used) and
the cases to time. For each case it times cv2.matchTemplate(TM_CCOEFF_NORMED) + cv2.minMaxLoc on the same
frame (or region) and template, and prints one JSON object per line: median/p90 ms and where the best match is.

Usage: python3 bench/native_match.py JOB.json   (Debian's python3-opencv)
"""
import json
import sys
import time

import cv2
import numpy as np


def load_gray(path, width, height, channels=1):
    data = np.fromfile(path, dtype=np.uint8)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return data.reshape(shape)


def time_case(frame, templ, region, repeats, warmup):
    x, y, w, h = region
    view = frame[y:y + h, x:x + w]
    for _ in range(warmup):
        res = cv2.matchTemplate(view, templ, cv2.TM_CCOEFF_NORMED)
        cv2.minMaxLoc(res)
    times = []
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = cv2.matchTemplate(view, templ, cv2.TM_CCOEFF_NORMED)
        _, max_val, _, max_loc = cv2.minMaxLoc(res)
        times.append((time.perf_counter() - t0) * 1000.0)
        best = (max_loc[0] + x, max_loc[1] + y, float(max_val))
    times.sort()
    return times, best


def main():
    if len(sys.argv) != 2:
        print("usage: native_match.py JOB.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    images = {}
    for name, spec in job["images"].items():
        images[name] = load_gray(spec["path"], spec["width"], spec["height"], spec.get("channels", 1))
    for threads in job.get("threads", [0]):
        if threads:
            cv2.setNumThreads(threads)
        else:
            cv2.setNumThreads(-1)
        for case in job["cases"]:
            times, best = time_case(images[case["frame"]], images[case["template"]], case["region"], job["repeats"], job["warmup"])
            print(json.dumps({
                "case": case["name"],
                "engine": "native-opencv",
                "opencv": cv2.__version__,
                "threads": cv2.getNumThreads(),
                "medianMs": round(times[len(times) // 2], 4),
                "p90Ms": round(times[int(len(times) * 0.9)], 4),
                "best": {"x": best[0], "y": best[1], "score": round(best[2], 6)},
            }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
