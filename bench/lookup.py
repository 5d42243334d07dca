"""Commune lookup benchmark, the shapely side and the driver (run by bench/lookup.sh).

For each boundary set (the two real sets of data/boundaries and a synthetic national set of
3,321 communes, generated here, seeded) it writes the points (seeded random points in the set's
bounding box, then the sets' inside points), runs the Rust bench binary on them, runs shapely 2
(STRtree.query(points, predicate="within"), vectorised) on the same points, checks that both
found the same commune for every point, and prints both rates and the ratio.

Usage: python lookup.py RUST_BENCH_BINARY WORK_DIR
Environment: POINTS (random points per set, default 100000), SEED (default 8).
"""

import csv
import json
import math
import os
import random
import subprocess
import sys
import time

import numpy as np
import shapely
from shapely.geometry import shape

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "boundaries")

# The national count of commune-level units since 1 July 2025.
SYNTHETIC_COMMUNES = 3321
SYNTHETIC_COLS, SYNTHETIC_ROWS = 81, 41  # 81 x 41 = 3,321
# Positions per commune ring in the real sets on average (45,418 + 80,058 positions in 200
# communes, closing positions included): 627. A cell ring here has 2 x 157 + 2 x 156 edges,
# 626 distinct positions plus the closing one.
SIDE_EDGES_H, SIDE_EDGES_V = 157, 156


def real_sets():
    """(name, geojson path, inside points [(lat, lon)]) of the sets of data/boundaries."""
    sets = []
    for name, geojson, table in [
        ("bac-kan-2020", "bac-kan-communes-2020.geojson", "bac-kan-communes-2020.csv"),
        ("thai-nguyen-2025", "thai-nguyen-communes-2025.geojson", "thai-nguyen-communes-2025.csv"),
    ]:
        with open(os.path.join(DATA, table), newline="", encoding="utf-8") as f:
            inside = [(float(r["inside_lat"]), float(r["inside_lon"])) for r in csv.DictReader(f)]
        sets.append((name, os.path.join(DATA, geojson), inside))
    return sets


def synthetic_set(path, seed):
    """Writes a seeded synthetic coverage of SYNTHETIC_COMMUNES cells (a jittered lattice whose
    shared sides are wavy polylines, so neighbours share their edges exactly, as in the real
    sets) to `path`; returns the inside points (the cells' lattice centres)."""
    rng = random.Random(seed)
    # About Viet Nam's area (331,000 km2) in 3,321 cells of ~100 km2: 0.09 degree sides.
    x0, y0, step = 102.2, 15.0, 0.09
    node = {}
    for i in range(SYNTHETIC_COLS + 1):
        for j in range(SYNTHETIC_ROWS + 1):
            jx = 0 if i in (0, SYNTHETIC_COLS) else rng.uniform(-0.12, 0.12) * step
            jy = 0 if j in (0, SYNTHETIC_ROWS) else rng.uniform(-0.12, 0.12) * step
            node[i, j] = (x0 + i * step + jx, y0 + j * step + jy)

    def side(a, b, n):
        """Wavy polyline from node a to node b in n edges, offsets perpendicular to a-b, tapered
        to zero at both ends (so the sides of one corner cannot cross)."""
        (ax, ay), (bx, by) = a, b
        length = math.hypot(bx - ax, by - ay)
        nx, ny = -(by - ay) / length, (bx - ax) / length
        points = [a]
        phase, wave = rng.uniform(0, math.tau), rng.uniform(1.5, 4.0)
        for k in range(1, n):
            t = k / n
            amplitude = 0.04 * step * min(1.0, 4 * min(t, 1 - t))
            offset = amplitude * (0.6 * math.sin(phase + wave * math.tau * t) + 0.4 * rng.uniform(-1, 1))
            points.append((ax + t * (bx - ax) + offset * nx, ay + t * (by - ay) + offset * ny))
        points.append(b)
        return points

    horizontal = {(i, j): side(node[i, j], node[i + 1, j], SIDE_EDGES_H)
                  for i in range(SYNTHETIC_COLS) for j in range(SYNTHETIC_ROWS + 1)}
    vertical = {(i, j): side(node[i, j], node[i, j + 1], SIDE_EDGES_V)
                for i in range(SYNTHETIC_COLS + 1) for j in range(SYNTHETIC_ROWS)}
    features, inside = [], []
    for j in range(SYNTHETIC_ROWS):
        for i in range(SYNTHETIC_COLS):
            # Counter-clockwise: bottom, right, top reversed, left reversed.
            ring = (horizontal[i, j][:-1] + vertical[i + 1, j][:-1]
                    + horizontal[i, j + 1][::-1][:-1] + vertical[i, j][::-1])
            code = f"{j * SYNTHETIC_COLS + i + 1:05d}"
            lat = y0 + (j + 0.5) * step
            area = abs(shapely.Polygon(ring).area) * 111.32 ** 2 * math.cos(math.radians(lat))
            features.append({
                "type": "Feature",
                "properties": {
                    "commune_code": code,
                    "commune_name": f"Xã {code}",
                    "commune_type": "Xã",
                    "province_code": "99",
                    "province_name": "Synthetic",
                    "area_km2": round(area, 2),
                },
                "geometry": {"type": "Polygon",
                             "coordinates": [[[round(x, 7), round(y, 7)] for x, y in ring]]},
            })
            inside.append((lat, x0 + (i + 0.5) * step))
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"type": "FeatureCollection", "features": features}, f, ensure_ascii=False)
    return inside


def load(path):
    """The commune codes and shapely polygons of a GeoJSON file, in file order."""
    with open(path, encoding="utf-8") as f:
        collection = json.load(f)
    codes = [f["properties"]["commune_code"] for f in collection["features"]]
    geoms = [shape(f["geometry"]) for f in collection["features"]]
    return codes, geoms


def points_for(geoms, inside, n, seed):
    """n seeded random points in the union's bounding box, then the inside points."""
    xmin, ymin, xmax, ymax = shapely.total_bounds(np.array(geoms, dtype=object))
    rng = np.random.default_rng(seed)
    lon = rng.uniform(xmin, xmax, n)
    lat = rng.uniform(ymin, ymax, n)
    lat = np.concatenate([lat, [p[0] for p in inside]])
    lon = np.concatenate([lon, [p[1] for p in inside]])
    return lat, lon


def shapely_rate(geoms, lat, lon):
    """Points per second of STRtree.query(points, predicate="within"), best of passes over at
    least 2 s, and the code index found for each point (-1: none)."""
    tree = shapely.STRtree(geoms)
    points = shapely.points(lon, lat)
    # predicate(input, tree geometry): "within" is point.within(commune), the commune holding
    # the point ("contains" would ask whether a point contains a commune: never).
    best, passes, started = math.inf, 0, time.perf_counter()
    while passes < 3 or time.perf_counter() - started < 2.0:
        t = time.perf_counter()
        result = tree.query(points, predicate="within")
        best = min(best, time.perf_counter() - t)
        passes += 1
    found = np.full(len(points), -1)
    # Several matches for one point only on a shared edge, which "within" excludes.
    found[result[0]] = result[1]
    return len(points) / best, found


def main():
    rust_bin, work = sys.argv[1], sys.argv[2]
    n = int(os.environ.get("POINTS", "100000"))
    seed = int(os.environ.get("SEED", "8"))
    os.makedirs(work, exist_ok=True)
    sets = real_sets()
    synthetic = os.path.join(work, "synthetic-3321-communes.geojson")
    sets.append(("synthetic-3321", synthetic, synthetic_set(synthetic, seed)))

    rows = []
    for name, path, inside in sets:
        codes, geoms = load(path)
        invalid = [c for c, g in zip(codes, geoms) if not g.is_valid]
        if invalid:
            sys.exit(f"{name}: invalid polygons for shapely: {invalid[:5]}")
        vertices = sum(shapely.get_num_coordinates(g) for g in geoms)
        lat, lon = points_for(geoms, inside, n, seed)
        points_csv = os.path.join(work, f"points-{name}.csv")
        with open(points_csv, "w", encoding="utf-8") as f:
            f.write("lat,lon\n")
            f.writelines(f"{a!r},{o!r}\n" for a, o in zip(lat.tolist(), lon.tolist()))
        codes_txt = os.path.join(work, f"codes-{name}.txt")
        out = subprocess.run([rust_bin, path, points_csv, codes_txt], check=True,
                             capture_output=True, text=True).stdout
        rust = dict(line.split("=", 1) for line in out.split())
        with open(codes_txt, encoding="utf-8") as f:
            rust_codes = f.read().split("\n")[: len(lat)]
        py_rate, found = shapely_rate(geoms, lat, lon)
        py_codes = ["" if i < 0 else codes[i] for i in found]
        # Agreement: every point, except one exactly on an edge, where shapely's "within" finds
        # nothing and the Rust lookup gives the lowest code (none in a random sample, in practice).
        differ = [k for k, (a, b) in enumerate(zip(rust_codes, py_codes)) if a != b]
        on_edge = [k for k in differ if py_codes[k] == "" and
                   shapely.intersects(geoms[codes.index(rust_codes[k])], shapely.Point(lon[k], lat[k]))]
        rows.append({
            "set": name,
            "communes": len(codes),
            "vertices_per_commune": vertices / len(codes),
            "points": len(lat),
            "inside": sum(1 for c in rust_codes if c),
            "build_ms": float(rust["build_ms"]),
            "rust": float(rust["commune_at_per_s"]),
            "rust_locate": float(rust["locate_per_s"]),
            "shapely": py_rate,
            "disagree": len(differ) - len(on_edge),
            "on_edge": len(on_edge),
        })
        r = rows[-1]
        print(f"{name}: {r['communes']} communes, {r['vertices_per_commune']:.0f} positions per "
              f"commune, {r['points']} points ({r['inside']} inside), built in {r['build_ms']:.0f} ms",
              flush=True)
        print(f"  Rust commune_at {r['rust']:,.0f} points/s; shapely STRtree within "
              f"{r['shapely']:,.0f} points/s; ratio {r['rust'] / r['shapely']:.1f}x; "
              f"Rust locate (with edge distance, inside points) {r['rust_locate']:,.0f} points/s",
              flush=True)
        print(f"  answers: {r['disagree']} points differ, {r['on_edge']} on an edge", flush=True)

    print()
    print("| set | communes | points | Rust `commune_at` | shapely 2 `STRtree.query(within)` | ratio | Rust `locate` (with edge distance) |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['communes']:,} | {r['points']:,} | {r['rust'] / 1e6:.2f} M/s | "
              f"{r['shapely'] / 1e6:.2f} M/s | {r['rust'] / r['shapely']:.1f}x | "
              f"{r['rust_locate'] / 1e3:.0f} k/s |")
    if any(r["disagree"] for r in rows):
        sys.exit("Rust and shapely disagree on some points")


if __name__ == "__main__":
    main()
