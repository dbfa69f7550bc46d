"""A stand-in for differential/oracle/torch_worker.py that misbehaves on purpose,
for torch_oracle_test.sh. No torch needed. FT_FAKE_TORCH picks the failure:

  refuse       hello with ok:false (torch missing), then exit
  no_hello     never says hello (start-up timeout)
  die:N        answers N requests with an error answer, exits at the next
  hang         hello, then never answers
  garbage      answers every request with a line that is not JSON
  close_stdin  hello, then closes its stdin and sleeps (writes get EPIPE)
"""
import json
import os
import sys
import time

MODE = os.environ.get("FT_FAKE_TORCH", "")


def out(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


if MODE == "refuse":
    out({"hello": "ft-torch-worker-1", "ok": False, "error": "no torch here (fake)"})
    sys.exit(3)
if MODE == "no_hello":
    time.sleep(600)
    sys.exit(0)
out({"hello": "ft-torch-worker-1", "ok": True, "torch": "fake"})
if MODE == "close_stdin":
    os.close(0)
    time.sleep(600)
    sys.exit(0)
n = 0
for line in sys.stdin:
    r = json.loads(line)
    n += 1
    if MODE.startswith("die:") and n > int(MODE[4:]):
        os._exit(1)
    if MODE == "hang":
        time.sleep(600)
    if MODE == "garbage":
        sys.stdout.write("this is not JSON\n")
        sys.stdout.flush()
        continue
    out({"id": r.get("id"), "ok": False, "error": "fake worker"})
