#!/usr/bin/env python3
"""Run a Python batch-norm backward under BnVerify (protocol bnverify-external/1, see PROTOCOL.md).

    python3 bnverify_adapter.py my_layers.py --forward batchnorm_forward --backward batchnorm_backward
    python3 bnverify_adapter.py my_layers.py --backward-plain my_backward

The first form is a cs231n-style pair: forward(x, gamma, beta, bn_param) -> (out, cache) with
bn_param = {'mode': 'train', 'eps': eps, 'momentum': 0.9}, then backward(dout, cache) -> (dx, dgamma, dbeta).
A forward whose fourth parameter is named eps (or epsilon) gets eps itself instead of bn_param (seed 001's
batchnorm_forward(x, gamma, beta, eps)); --forward-takes overrides the guess. The second form is a plain
backward(x, gamma, beta, eps, dout) -> (dx, dgamma, dbeta). dx must have shape (N, D); dgamma and dbeta (D,) or (1, D).

BnVerify starts this program once and talks to it over standard input and output, one JSON object per line.
Nothing the user's code prints can reach that channel: file descriptor 1 is pointed at standard error before the
user's file is imported, and the protocol uses a private copy of the original standard output. Standard library
only; numpy arrays are passed when numpy can be imported (lists otherwise, said in the greeting).
"""

import argparse
import importlib.util
import inspect
import json
import math
import os
import sys
import traceback

PROTOCOL = "bnverify-external/1"

try:
    import numpy as np
except ImportError:  # the adapter still runs; the user's code gets nested lists
    np = None


class AdapterError(Exception):
    """Something about one request or one result that is reported back as an error answer."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="bnverify_adapter.py",
        description="Serve a Python batch-norm backward to BnVerify over the bnverify-external/1 protocol.")
    p.add_argument("file", help="the Python file that defines the functions")
    p.add_argument("--forward", metavar="NAME", help="forward(x, gamma, beta, bn_param) -> (out, cache)")
    p.add_argument("--backward", metavar="NAME", help="backward(dout, cache) -> (dx, dgamma, dbeta); needs --forward")
    p.add_argument("--backward-plain", metavar="NAME", help="backward(x, gamma, beta, eps, dout) -> (dx, dgamma, dbeta)")
    p.add_argument("--forward-takes", choices=["auto", "bn_param", "eps"], default="auto",
                   help="what the forward's fourth argument is: the cs231n bn_param dict, or eps; "
                        "auto: eps when that parameter is named eps or epsilon (default)")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="the element type of the arrays given to the user's code (float32 needs numpy)")
    p.add_argument("--name", help="the name shown in BnVerify's tables (default: FILE-STEM.BACKWARD)")
    args = p.parse_args(argv)
    if args.backward_plain is not None:
        if args.backward is not None or args.forward is not None:
            p.error("--backward-plain cannot be combined with --forward/--backward")
    elif args.backward is None or args.forward is None:
        p.error("give --forward and --backward (a cs231n pair), or --backward-plain")
    if args.dtype == "float32" and np is None:
        p.error("--dtype float32 needs numpy, which cannot be imported here")
    return args


def load_module(path):
    """Imports the user's file as a module, with its folder first on sys.path (so its own imports work)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise SystemExit("bnverify_adapter: no such file: %s" % path)
    folder = os.path.dirname(path)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    name = os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def function(module, name, path):
    f = getattr(module, name, None)
    if not callable(f):
        known = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
        raise SystemExit("bnverify_adapter: %s has no function %r; it defines: %s"
                         % (path, name, ", ".join(known) or "nothing callable"))
    return f


def forward_takes_eps(forward, choice):
    if choice != "auto":
        return choice == "eps"
    try:
        params = list(inspect.signature(forward).parameters)
    except (TypeError, ValueError):
        return False
    return len(params) >= 4 and params[3].lower() in ("eps", "epsilon")


# ---------------------------------------------------------------- requests and results

def matrix(values, n, d, dtype):
    if np is not None:
        return np.array(values, dtype=dtype).reshape(n, d)
    return [[float(v) for v in values[i * d:(i + 1) * d]] for i in range(n)]


def vector(values, dtype):
    if np is not None:
        return np.array(values, dtype=dtype)
    return [float(v) for v in values]


def read_request(msg, dtype):
    if msg.get("layout", "ND") != "ND":
        raise AdapterError("layout %r is not supported by this adapter (only ND)" % (msg.get("layout"),))
    shape = msg.get("shape")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(s, int) and s > 0 for s in shape)):
        raise AdapterError("shape %r is not [N, D]" % (shape,))
    n, d = shape
    lengths = {"x": n * d, "gamma": d, "beta": d, "dout": n * d}
    for key, length in lengths.items():
        if not isinstance(msg.get(key), list) or len(msg[key]) != length:
            raise AdapterError("%s is not a list of %d numbers" % (key, length))
    eps = msg.get("eps")
    if isinstance(eps, bool) or not isinstance(eps, (int, float)):
        raise AdapterError("eps %r is not a number" % (eps,))
    return (n, d, matrix(msg["x"], n, d, dtype), vector(msg["gamma"], dtype), vector(msg["beta"], dtype),
            float(eps), matrix(msg["dout"], n, d, dtype))


def number(v):
    """One value for the protocol: a float, or "NaN" / "Infinity" / "-Infinity" (JSON has no NaN)."""
    if math.isfinite(v):
        return v
    return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")


def flat_from_numpy(name, value, shapes):
    try:
        a = np.asarray(value)
    except (ValueError, TypeError) as e:
        raise AdapterError("%s cannot be read as an array: %s" % (name, e))
    if a.dtype.kind not in "fiu":
        raise AdapterError("%s has dtype %s; real numbers expected" % (name, a.dtype))
    if a.shape not in shapes:
        raise AdapterError("%s has shape %s; %s expected" % (name, a.shape, " or ".join(str(s) for s in shapes)))
    a = a.astype(np.float64).ravel()
    if np.isfinite(a).all():
        return a.tolist()
    return [number(v) for v in a.tolist()]


def flat_from_lists(name, value, shapes):
    """The same without numpy: nested lists or tuples whose shape is one of `shapes`; each element through float()."""
    def shape_of(v):
        if isinstance(v, (list, tuple)):
            inner = {shape_of(e) for e in v}
            if len(inner) > 1:
                raise AdapterError("%s is ragged" % name)
            return (len(v),) + (inner.pop() if inner else ())
        return ()

    def flatten(v):
        if isinstance(v, (list, tuple)):
            for e in v:
                yield from flatten(e)
        else:
            if isinstance(v, (str, bytes, bool)) or v is None:
                raise AdapterError("%s holds %r; real numbers expected" % (name, v))
            try:
                yield float(v)
            except (TypeError, ValueError):
                raise AdapterError("%s holds %r; real numbers expected" % (name, v))

    if hasattr(value, "tolist"):
        value = value.tolist()
    if shape_of(value) not in shapes:
        raise AdapterError("%s has shape %s; %s expected" % (name, shape_of(value), " or ".join(str(s) for s in shapes)))
    return [number(v) for v in flatten(value)]


def gradients(result, n, d):
    if not isinstance(result, (tuple, list)) or len(result) != 3:
        raise AdapterError("the backward returned %s; a tuple (dx, dgamma, dbeta) expected" % type(result).__name__)
    answer = {}
    for name, value, shapes in (("dx", result[0], [(n, d)]), ("dgamma", result[1], [(d,), (1, d)]),
                                ("dbeta", result[2], [(d,), (1, d)])):
        if value is None:
            raise AdapterError("the backward returned None for %s" % name)
        answer[name] = (flat_from_numpy if np is not None else flat_from_lists)(name, value, shapes)
    return answer


# ---------------------------------------------------------------- the loop

def serve(args, proto_in, proto_out):
    module = load_module(args.file)
    stem = os.path.splitext(os.path.basename(args.file))[0]
    if args.backward_plain is not None:
        plain = function(module, args.backward_plain, args.file)
        what = "%s: %s(x, gamma, beta, eps, dout)" % (os.path.basename(args.file), args.backward_plain)
        name = args.name or "%s.%s" % (stem, args.backward_plain)
    else:
        forward = function(module, args.forward, args.file)
        backward = function(module, args.backward, args.file)
        takes_eps = forward_takes_eps(forward, args.forward_takes)
        what = "%s: %s(x, gamma, beta, %s) + %s(dout, cache)" % (
            os.path.basename(args.file), args.forward, "eps" if takes_eps else "bn_param", args.backward)
        name = args.name or "%s.%s" % (stem, args.backward)
    dtype = args.dtype
    arrays = "numpy %s" % np.__version__ if np is not None else "nested lists (numpy cannot be imported)"
    if np is None:
        print("bnverify_adapter: numpy cannot be imported; the user's code gets nested lists", file=sys.stderr)

    def send(obj):
        proto_out.write(json.dumps(obj, allow_nan=False, separators=(",", ":")) + "\n")
        proto_out.flush()

    send({"protocol": PROTOCOL, "name": name, "dtype": dtype, "layouts": ["ND"],
          "source": "python adapter, %s, %s" % (what, arrays)})

    for line in proto_in:
        if not line.strip():
            continue
        rid = None
        try:
            msg = json.loads(line)
            if not isinstance(msg, dict):
                raise AdapterError("the request is not a JSON object")
            kind = msg.get("type")
            if kind == "bye":
                return
            rid = msg.get("id")
            if kind != "backward":
                raise AdapterError("unknown message type %r" % (kind,))
            n, d, x, gamma, beta, eps, dout = read_request(msg, dtype)
            try:
                if args.backward_plain is not None:
                    result = plain(x, gamma, beta, eps, dout)
                else:
                    fourth = eps if takes_eps else {"mode": "train", "eps": eps, "momentum": 0.9}
                    out = forward(x, gamma, beta, fourth)
                    if not isinstance(out, (tuple, list)) or len(out) != 2:
                        raise AdapterError("the forward returned %s; a pair (out, cache) expected" % type(out).__name__)
                    result = backward(dout, out[1])
            except AdapterError:
                raise
            except Exception as e:  # the user's code raised: an error answer, the traceback on stderr
                traceback.print_exc(file=sys.stderr)
                raise AdapterError("%s: %s" % (type(e).__name__, e))
            answer = {"id": rid}
            answer.update(gradients(result, n, d))
            send(answer)
        except AdapterError as e:
            send({"id": rid if isinstance(rid, int) and not isinstance(rid, bool) else None, "error": str(e)})
        except json.JSONDecodeError as e:
            send({"id": None, "error": "the request is not JSON: %s" % e})


def main(argv=None):
    # The protocol's own channels, taken before any user code runs; then fd 1 becomes stderr and fd 0 /dev/null,
    # so print(), C extensions and subprocesses of the user's code write to stderr and read nothing.
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8", newline="\n")
    sys.stdout.flush()
    os.dup2(2, 1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    sys.stdout = sys.stderr
    sys.stdin = open(os.devnull, "r")
    sys.dont_write_bytecode = True  # a checker leaves no __pycache__ in the user's folder
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        serve(args, proto_in, proto_out)
    except BrokenPipeError:  # BnVerify went away
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
