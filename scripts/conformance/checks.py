"""What every conformance script shares: named checks that report and count, and the summary."""

import sys
import traceback

results = {"passed": 0, "failed": 0}


def check(name, fn):
    """Runs fn; prints 'ok   name[: detail]' or 'FAIL name: error' and counts it."""
    try:
        detail = fn()
        results["passed"] += 1
        print(f"ok   {name}{': ' + str(detail) if detail else ''}")
    except Exception as e:  # noqa: BLE001 - every failure is reported, then counted
        results["failed"] += 1
        print(f"FAIL {name}: {e!r}")
        traceback.print_exc(limit=3)


def expect(cond, message):
    if not cond:
        raise AssertionError(message)


def finish():
    """Prints 'N passed, M failed' and exits 1 on any failure."""
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)
