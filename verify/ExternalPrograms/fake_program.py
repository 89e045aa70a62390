"""A bnverify-external/1 program that misbehaves on purpose, one way per MODE (the tests in verify/ExternalProtocolTests.cs).

    python3 fake_program.py MODE [PIDFILE]

Its backward is the exact closed form in pure Python (no numpy), so every mode that answers at all answers right unless
the mode says otherwise. Standard library only.
"""
import json
import math
import os
import subprocess
import sys
import time

MODE = sys.argv[1]
PIDFILE = sys.argv[2] if len(sys.argv) > 2 else None


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def send(obj):
    out(json.dumps(obj, separators=(",", ":")))


def backward(req):
    n, d = req["shape"]
    eps, x, gamma, dout = req["eps"], req["x"], req["gamma"], req["dout"]
    dx, dgamma, dbeta = [0.0] * (n * d), [0.0] * d, [0.0] * d
    for j in range(d):
        col = [x[i * d + j] for i in range(n)]
        g = [dout[i * d + j] for i in range(n)]
        mean = sum(col) / n
        var = sum((v - mean) ** 2 for v in col) / n
        inv = 1.0 / math.sqrt(var + eps)
        xhat = [(v - mean) * inv for v in col]
        dbeta[j] = sum(g)
        dgamma[j] = sum(a * b for a, b in zip(g, xhat))
        for i in range(n):
            dx[i * d + j] = gamma[j] * inv * (g[i] - dbeta[j] / n - xhat[i] * dgamma[j] / n)
    return dx, dgamma, dbeta


def greet(**extra):
    greeting = {"protocol": "bnverify-external/1", "name": "fake-" + MODE, "dtype": "float64", "layouts": ["ND"],
                "source": "verify/ExternalPrograms/fake_program.py " + MODE}
    greeting.update(extra)
    send(greeting)


def write_pid(pid):
    with open(PIDFILE + ".tmp", "w") as f:
        f.write(str(pid))
    os.replace(PIDFILE + ".tmp", PIDFILE)


if PIDFILE and MODE != "tree":
    write_pid(os.getpid())
if MODE == "impostor":  # calls itself by a built-in implementation's id
    send({"protocol": "bnverify-external/1", "name": "seed002-alt", "dtype": "float64", "layouts": ["ND"]})
    time.sleep(1000)
if MODE == "die-at-start":
    sys.stderr.write("fake: cannot load my weights\n")
    sys.exit(3)
if MODE == "hang-at-start":
    time.sleep(1000)
if MODE == "bad-greeting":
    send({"protocol": "bnverify-external/2", "name": "fake", "dtype": "float64", "layouts": ["ND"]})
    time.sleep(1000)
if MODE == "float16":
    greet(dtype="float16")
    time.sleep(1000)
if MODE == "no-nd":
    greet(layouts=["NCHW"])
    time.sleep(1000)
if MODE == "greeting-not-json":
    out("Hello! I am a backward.")
    time.sleep(1000)
if MODE == "no-read":  # greets, then never reads its input and never exits
    greet()
    time.sleep(1000)
if MODE == "tree":  # starts a grandchild, records its pid, then hangs on the first request
    greet()
    child = subprocess.Popen(["sleep", "1000"])
    write_pid(child.pid)
    sys.stdin.readline()
    time.sleep(1000)

greet(dtype="float32") if MODE == "float32" else greet()
count = 0
for line in sys.stdin:
    req = json.loads(line)
    if req.get("type") == "bye":
        if MODE == "ignore-bye":
            time.sleep(1000)
        break
    count += 1
    rid = req["id"]
    n, d = req["shape"]
    dx, dgamma, dbeta = backward(req)
    if MODE == "exit-mid-run" and count == 3:
        sys.stderr.write("fake: something went wrong\nfake: giving up on request %d\n" % rid)
        sys.exit(7)
    if MODE == "hang" and count == 2:
        if PIDFILE:
            write_pid(os.getpid())
        time.sleep(1000)
    if MODE == "garbage":
        out("this is not JSON")
    elif MODE == "bare-nan":
        out('{"id": %d, "dx": [NaN], "dgamma": [], "dbeta": []}' % rid)
    elif MODE == "array":
        out("[1, 2, 3]")
    elif MODE == "wrong-id":
        send({"id": rid + 1, "dx": dx, "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "no-id":
        send({"dx": dx, "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "wrong-shape":
        send({"id": rid, "dx": dx[:-1], "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "nested":
        send({"id": rid, "dx": [dx[i * d:(i + 1) * d] for i in range(n)], "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "missing-dgamma":
        send({"id": rid, "dx": dx, "dbeta": dbeta})
    elif MODE == "strings":
        send({"id": rid, "dx": [str(v) for v in dx], "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "null":
        send({"id": rid, "dx": [None] + dx[1:], "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "huge":
        out('{"id": %d, "dx": [1e999%s], "dgamma": %s, "dbeta": %s}' % (rid, ", 0" * (n * d - 1), json.dumps(dgamma), json.dumps(dbeta)))
    elif MODE == "nan":
        send({"id": rid, "dx": ["NaN"] * (n * d), "dgamma": dgamma, "dbeta": dbeta})
    elif MODE == "infinity":
        send({"id": rid, "dx": dx, "dgamma": ["Infinity"] + dgamma[1:], "dbeta": ["-Infinity"] * d})
    elif MODE == "error":
        send({"id": rid, "error": "ZeroDivisionError: float division by zero"})
    elif MODE == "explained-error":  # its reasons on stderr, then at once an error answer (as a traceback comes)
        sys.stderr.write("".join("fake: reason %d for request %d\n" % (k, rid) for k in range(1, 7)))
        sys.stderr.flush()
        send({"id": rid, "error": "it could not"})
    elif MODE == "two-lines":
        send({"id": rid, "dx": dx, "dgamma": dgamma, "dbeta": dbeta})
        out("an extra line")
    elif MODE == "long-line":
        sys.stdout.write("x" * (1 << 20))
        sys.stdout.flush()
        time.sleep(1000)
    else:  # good, float32, ignore-bye, exit-mid-run (before request 3), hang (before request 2), crlf
        end = "\r\n" if MODE == "crlf" else "\n"
        sys.stdout.write(json.dumps({"id": rid, "dx": dx, "dgamma": dgamma, "dbeta": dbeta}) + end)
        sys.stdout.flush()
