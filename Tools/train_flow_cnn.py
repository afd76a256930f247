#!/usr/bin/env python3
"""Trains Gantry's flow model (a small 1-D CNN) with numpy, and writes its weights file.

The network, as Swift's FlowModel runs it:

    x[C][T] -> (x - mean) / std -> conv1d (F filters, kernel K, valid) -> ReLU -> mean over time -> dense F->1 -> tanh

  train    --csv FILE --out WEIGHTS.json [...]   the training set (gantry train writes it) -> a weights file whose
                                                  validation has not run (gantry train runs it and records it)
  fixture  --weights W.json --out FIX.json       random raw inputs and this script's outputs for them, for the
                                                  Swift inference test (the two must agree to 1e-6)

The CSV has a header: segment, time_ns, mid, then one column per feature channel (raw Int64 values), then
label_cbp (the mid's return over the horizon in hundredths of a basis point; empty where the future is not
known). Rows of one segment are consecutive samples; a window never spans two segments.
"""

import argparse
import datetime
import json
import sys

import numpy as np

FORMAT = "gantry-flow-cnn"
FORMAT_VERSION = 1
FIXED_COLUMNS = ("segment", "time_ns", "mid")
LABEL = "label_cbp"


def fail(message):
    print(f"train_flow_cnn: {message}", file=sys.stderr)
    sys.exit(2)


def read_csv(path):
    """Returns (channel names, segments, features [N][C] int64, labels [N] float with NaN where unknown)."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
        if tuple(header[:3]) != FIXED_COLUMNS or header[-1] != LABEL or len(header) < 5:
            fail(f"{path}: the header must be {','.join(FIXED_COLUMNS)},<channels…>,{LABEL}; got {','.join(header)}")
        channels = header[3:-1]
        segments, features, labels = [], [], []
        for n, line in enumerate(f, start=2):
            cells = line.rstrip("\n").split(",")
            if len(cells) != len(header):
                fail(f"{path}:{n}: {len(cells)} cells for {len(header)} columns")
            try:
                segments.append(int(cells[0]))
                features.append([int(c) for c in cells[3:-1]])
                labels.append(float(cells[-1]) if cells[-1] else np.nan)
            except ValueError as e:
                fail(f"{path}:{n}: {e}")
    if not features:
        fail(f"{path}: no rows")
    return channels, np.array(segments, dtype=np.int64), np.array(features, dtype=np.int64), np.array(labels, dtype=np.float64)


def windows(segments, features, labels, window):
    """Windows of `window` consecutive rows of one segment ending at a labelled row: X [N][C][T] raw, y [N]."""
    xs, ys = [], []
    start = 0
    n = len(segments)
    while start < n:
        end = start
        while end < n and segments[end] == segments[start]:
            end += 1
        for t in range(start + window - 1, end):
            if not np.isnan(labels[t]):
                xs.append(features[t - window + 1:t + 1].T)
                ys.append(labels[t])
        start = end
    if not xs:
        return np.zeros((0, features.shape[1], window)), np.zeros(0)
    return np.stack(xs).astype(np.float64), np.array(ys)


def forward(params, x):
    """x [N][C][T] scaled -> (output [N], cache for the gradient)."""
    w, b, v, d = params["w"], params["b"], params["v"], params["d"]
    filters, channels, kernel = w.shape
    cols = np.lib.stride_tricks.sliding_window_view(x, kernel, axis=2)  # [N][C][P][K]
    cols = cols.transpose(0, 2, 1, 3).reshape(x.shape[0], -1, channels * kernel)  # [N][P][C*K]
    z = cols @ w.reshape(filters, channels * kernel).T + b  # [N][P][F]
    h = np.maximum(z, 0.0)
    m = h.mean(axis=1)  # [N][F]
    out = np.tanh(m @ v + d)
    return out, (cols, z, m)


def gradients(params, x, y):
    out, (cols, z, m) = forward(params, x)
    n, positions = x.shape[0], z.shape[1]
    loss = float(np.mean((out - y) ** 2))
    dpre = 2.0 * (out - y) / n * (1.0 - out**2)  # [N]
    dv = m.T @ dpre
    dd = dpre.sum()
    dz = (dpre[:, None, None] * params["v"][None, None, :] / positions) * (z > 0)  # [N][P][F]
    dw = np.einsum("npf,npk->fk", dz, cols).reshape(params["w"].shape)
    db = dz.sum(axis=(0, 1))
    return loss, {"w": dw, "b": db, "v": dv, "d": dd}


def train(args):
    channels, segments, features, labels = read_csv(args.csv)
    c = len(channels)
    if args.kernel < 1 or args.window < args.kernel:
        fail(f"kernel {args.kernel} must be 1…window ({args.window})")
    x_raw, label = windows(segments, features, labels, args.window)
    if len(label) < 8:
        fail(f"{args.csv}: {len(label)} labelled windows of {args.window} samples; at least 8 are needed (record for longer)")
    # Scaling from the rows that windows read (every row of the set); a constant channel keeps std 1.
    mean = features.mean(axis=0).astype(np.float64)
    std = features.std(axis=0).astype(np.float64)
    std[~(std > 0)] = 1.0
    x = (x_raw - mean[None, :, None]) / std[None, :, None]
    label_scale = float(np.std(label)) or 1.0
    y = np.tanh(label / label_scale)

    rng = np.random.default_rng(args.seed)
    fan_in = c * args.kernel
    params = {
        "w": rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(args.filters, c, args.kernel)),
        "b": np.zeros(args.filters),
        "v": rng.normal(0.0, np.sqrt(1.0 / args.filters), size=args.filters),
        "d": np.float64(0.0),
    }
    moments = {k: (np.zeros_like(p), np.zeros_like(p)) for k, p in params.items()}
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    step = 0
    for _ in range(args.epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), args.batch):
            batch = order[start:start + args.batch]
            _, grads = gradients(params, x[batch], y[batch])
            step += 1
            for k in params:
                m1, m2 = moments[k]
                m1 = beta1 * m1 + (1 - beta1) * grads[k]
                m2 = beta2 * m2 + (1 - beta2) * grads[k] ** 2
                moments[k] = (m1, m2)
                update = args.lr * (m1 / (1 - beta1**step)) / (np.sqrt(m2 / (1 - beta2**step)) + eps)
                params[k] = params[k] - update
    final_loss, _ = gradients(params, x, y)

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "shape": {"channels": c, "window": args.window, "filters": args.filters, "kernel": args.kernel},
        "channel_names": channels,
        "scaling": {"mean": mean.tolist(), "std": std.tolist()},
        "weights": {
            "conv_weight": params["w"].tolist(),
            "conv_bias": params["b"].tolist(),
            "dense_weight": params["v"].tolist(),
            "dense_bias": float(params["d"]),
        },
        "training": {
            "data": args.data,
            "rows": int(len(labels)),
            "windows": int(len(y)),
            "label": f"tanh(mid return over the horizon in centi-bp / label_scale); {args.label}",
            "horizon_ms": args.horizon_ms,
            "sample_ms": args.sample_ms,
            "label_scale": label_scale,
            "seed": args.seed,
            "epochs": args.epochs,
            "learning_rate": args.lr,
            "train_loss": final_loss,
            "trained_at": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "validation": {
            "passed": False,
            "when": None,
            "metrics": {},
            "gate": {},
            "note": "not validated yet: gantry train validates it on held-out data",
        },
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(document, f, indent=1, allow_nan=False)
    print(f"train_flow_cnn: {len(y)} windows of {c}x{args.window} from {len(labels)} rows, "
          f"{args.epochs} epochs, loss {final_loss:.6f} -> {args.out}")


def load(path):
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    if doc.get("format") != FORMAT or doc.get("format_version") != FORMAT_VERSION:
        fail(f"{path}: not a {FORMAT} version {FORMAT_VERSION} file")
    w = doc["weights"]
    params = {
        "w": np.array(w["conv_weight"], dtype=np.float64),
        "b": np.array(w["conv_bias"], dtype=np.float64),
        "v": np.array(w["dense_weight"], dtype=np.float64),
        "d": np.float64(w["dense_bias"]),
    }
    return doc, params


def fixture(args):
    doc, params = load(args.weights)
    shape = doc["shape"]
    mean = np.array(doc["scaling"]["mean"])
    std = np.array(doc["scaling"]["std"])
    rng = np.random.default_rng(args.seed)
    raw = np.rint(mean[None, :, None] + 3.0 * std[None, :, None] * rng.standard_normal((args.cases, shape["channels"], shape["window"])))
    raw = raw.astype(np.int64)
    out, _ = forward(params, (raw.astype(np.float64) - mean[None, :, None]) / std[None, :, None])
    cases = [{"raw": raw[i].tolist(), "output": float(out[i])} for i in range(args.cases)]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"weights": args.weights, "cases": cases}, f, indent=1, allow_nan=False)
    print(f"train_flow_cnn: {args.cases} fixture cases -> {args.out}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train on a CSV and write a weights file (not yet validated)")
    t.add_argument("--csv", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--window", type=int, default=32)
    t.add_argument("--filters", type=int, default=8)
    t.add_argument("--kernel", type=int, default=5)
    t.add_argument("--epochs", type=int, default=40)
    t.add_argument("--batch", type=int, default=128)
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--horizon-ms", dest="horizon_ms", type=int, default=0)
    t.add_argument("--sample-ms", dest="sample_ms", type=int, default=0)
    t.add_argument("--data", default="", help="what the CSV was built from (recorded in the file)")
    t.add_argument("--label", default="", help="how the label was made (recorded in the file)")
    f = sub.add_parser("fixture", help="random raw inputs and their outputs under a weights file")
    f.add_argument("--weights", required=True)
    f.add_argument("--out", required=True)
    f.add_argument("--cases", type=int, default=16)
    f.add_argument("--seed", type=int, default=2)
    args = parser.parse_args()
    if args.command == "train":
        if min(args.window, args.filters, args.kernel, args.epochs, args.batch) < 1:
            fail("window, filters, kernel, epochs and batch must be positive")
        train(args)
    else:
        fixture(args)


if __name__ == "__main__":
    main()
