"""Bench: where and why an exported xnor network departs from darknet's CPU forward (issue 20).

Rebuilds the published pattern (yolov3-spp with ``xnor=1 bin_output=1`` on 69 inner convolutions,
6 classes; ``tests/xnor_reference.xnor_spp_cfg``) at --size, writes the forward goldens' deterministic
weights and input (``shared/tools/fwd_weights.py``), and compares, layer by layer, ``cfggen export``
run by onnxruntime (``--debug-layers all``) with the numpy re-implementation of darknet's forward pass
in ``tests/xnor_reference.py`` (bit-exact against the xnor forward goldens up to the heads' logistic).

Printed: per layer, max|export - reference| / M (M = max|reference|) and the elements beyond the
goldens' tolerance (1e-3*M + 1e-5); for xnor layers, the input elements whose sign bit differs and how
many of them are near-zero flips (input values equal within 1e-5 of the range, opposite sides of 0).
Then the first differing layer recomputed by the reference from the export's own input: if that
agrees with the export, the whole difference is the flipped input bits.

    python bench/xnor_signflips.py [--size 608] [--opt disable|all] [--all-layers]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("CFGGEN_SHARED", os.path.join(REPO, "..", "shared"))
sys.path[:0] = [REPO, os.path.join(REPO, "tests")]

import xnor_reference as xr  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=608)
    ap.add_argument("--opt", choices=("disable", "all"), default="disable",
                    help="onnxruntime graph optimisation level (the tests use disable)")
    ap.add_argument("--all-layers", action="store_true", help="print every layer, not only the differing ones")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        cfg, weights, network, native, x = xr.xnor_spp(tmp, os.path.join(SHARED, "corpus", "darknet", "yolov3-spp.cfg"),
                                                       args.size, os.path.join(SHARED, "tools"))
        t0 = time.perf_counter()
        network, ref = xr.forward(cfg, weights, None, x)
        t1 = time.perf_counter()
        out = xr.run_export(cfg, weights, x, optimise=args.opt == "all")
        t2 = time.perf_counter()
        rows = xr.layer_diffs(network, ref, out, x)
        xnor = sum(1 for lay in network.layers if lay.type == "convolutional" and lay.conf["xnor"])
        print(f"xnor yolov3-spp pattern at {args.size}x{args.size}: {len(network.layers)} layers, {xnor} xnor convs; "
              f"onnxruntime opt={args.opt}; reference {t1 - t0:.1f} s, export+onnxruntime {t2 - t1:.1f} s")
        print(" layer type           max|d|/M  beyond-tol  input-flips (near-zero, max|x|/M there)")
        first = next((r for r in rows if r.beyond), None)
        for r in rows:
            if args.all_layers or r.beyond or r.flips or r.type == "yolo":
                flips = f"{r.flips:>9} ({r.near_zero_flips}, {r.flip_max_rel:.1e})" if r.xnor else ""
                print(f" {r.index:5d} {r.type:13s}{'X' if r.xnor else ' '} {r.max_rel:9.2e} {r.beyond:11d}  {flips}")
        if first is None:
            print("every layer agrees within the goldens' tolerance (1e-3*M + 1e-5)")
            return
        wts = xr.read_conv_weights(weights, native)
        lay = network.layers[first.index]
        redo = xr.step(network, lay, out[first.index - 1] if first.index else x, out, wts)
        M = first.scale
        again = float(np.abs(redo.astype(np.float64) - out[first.index]).max() / M)
        print(f"first layer beyond tolerance: {first.index} ({first.type}{', xnor' if first.xnor else ''}): "
              f"{first.beyond} elements, {first.flips} flipped input bits, {first.near_zero_flips} of them "
              f"near-zero (largest |input| there {first.flip_max_rel:.1e} of the input's range)")
        print(f"  the reference fed the export's own layer-{first.index - 1} output: max|d|/M {again:.1e} "
              f"against the export's layer {first.index}")
        for r in rows:
            if r.type == "yolo":
                print(f"  [yolo] {r.index}: max|d|/M {r.max_rel:.2f}, {r.beyond} of {out[r.index].size} "
                      "elements beyond tolerance")
                break


if __name__ == "__main__":
    main()
