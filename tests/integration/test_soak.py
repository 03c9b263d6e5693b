#!/usr/bin/env python3
"""test_soak - a short soak of the whole mail path under faults.

About 60 seconds (30 in the asan variant, or $POSTERN_SOAK_SECONDS) of
mixed load: several concurrent SMTP clients and bin/sendmail submit mail
for a tests/tools/smtp_sink.py that answers 4xx, 5xx and 421 at random and
stalls briefly, while a chaos loop SIGKILLs a random daemon other than the
master every few seconds. Then the sink heals and the queue is flushed
(bounded wait). Cases: every accepted message is accounted for (delivered
at least once, bounced, or still queued), the queue drains, the master
survives with flat RSS and fd count, and the qmgr's RSS stays bounded.
The logic lives in soak_lib.py, shared with bench/soak.sh.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from postern_test import VARIANT, check, done  # noqa: E402
from soak_lib import soak, soak_checks  # noqa: E402


def main():
    seconds = float(os.environ.get("POSTERN_SOAK_SECONDS")
                    or (30 if VARIANT == "asan" else 60))
    res = soak(seconds=seconds)
    for name, cond, detail in soak_checks(res, seconds):
        check(name, cond, detail)
    done()


if __name__ == "__main__":
    main()
