#!/usr/bin/python3
"""Native OpenCV side of `npm run bench -- vision`.

Started by bench/vision.ts with a job file: gray (or RGB) images as raw bytes (the very arrays the wasm matcher
used) and the cases. It loads them, prints {"ready": true, "opencv": VERSION}, then answers requests read from
stdin, one JSON object per line:

  {"case": NAME, "threads": T, "repeats": N}

For each it times N runs of cv2.matchTemplate(TM_CCOEFF_NORMED) + cv2.minMaxLoc on the case's frame (or region)
and template, with T OpenCV threads (0: OpenCV's default), and prints one JSON line: the case, the thread count
used, every run's milliseconds and where the best match is. The bench alternates these requests with its own runs,
so both engines see the same machine load. It exits at the end of its input.

Usage: /usr/bin/python3 bench/native_match.py JOB.json   (Debian's python3-opencv: apt-get install python3-opencv)
"""
import json
import sys
import time

import cv2
import numpy as np


def load_image(path, width, height, channels=1):
    data = np.fromfile(path, dtype=np.uint8)
    shape = (height, width) if channels == 1 else (height, width, channels)
    return data.reshape(shape)


def time_case(frame, templ, region, repeats):
    x, y, w, h = region
    view = frame[y:y + h, x:x + w]
    times = []
    best = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = cv2.matchTemplate(view, templ, cv2.TM_CCOEFF_NORMED)
        _, max_val, _, max_loc = cv2.minMaxLoc(res)
        times.append((time.perf_counter() - t0) * 1000.0)
        best = (max_loc[0] + x, max_loc[1] + y, float(max_val))
    return times, best


def main():
    if len(sys.argv) != 2:
        print("usage: native_match.py JOB.json", file=sys.stderr)
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        job = json.load(f)
    images = {}
    for name, spec in job["images"].items():
        images[name] = load_image(spec["path"], spec["width"], spec["height"], spec.get("channels", 1))
    cases = {case["name"]: case for case in job["cases"]}
    print(json.dumps({"ready": True, "opencv": cv2.__version__}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        case = cases[req["case"]]
        cv2.setNumThreads(req["threads"] if req["threads"] > 0 else -1)
        times, best = time_case(images[case["frame"]], images[case["template"]], case["region"], req["repeats"])
        print(json.dumps({
            "case": case["name"],
            "threads": cv2.getNumThreads(),
            "times": [round(t, 5) for t in times],
            "best": {"x": best[0], "y": best[1], "score": round(best[2], 6)},
        }), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
