#!/usr/bin/env python3
"""Run relto's TAXII 2.1 API conformance tests.

    tests/api/run.py [--relto build/relto] [-k SUBSTRING] [-v] [--url URL]

Discovers tests/api/test_*.py (sorted by file name), runs every function
named test_* in file order, each isolated: a failing (or crashing) test never
stops the others.  Prints "FAIL name: reason" for each failure and finally
exactly one line "api: N passed, M failed" (with " (K skipped)" when tests
were skipped: those count in neither number); exit status 1 if any failed.
Under tests/pg/run (RELTO_TEST_PG set) every server runs on PostgreSQL, each
database path a test names standing for a database of its own (harness.py,
"The store"), and the line starts "api-pg:".

The real server is started once per run (`relto demo` on a free loopback
port with a fresh database in a temporary directory) and stopped at the end.
--url runs against an already running server instead (debugging only).
"""

import argparse
import importlib.util
import os
import sys
import time
import traceback
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import harness as H  # noqa: E402


def discover(selector):
    tests = []
    for fn in sorted(os.listdir(HERE)):
        if not (fn.startswith("test_") and fn.endswith(".py")):
            continue
        modname = fn[:-3]
        spec = importlib.util.spec_from_file_location(modname, os.path.join(HERE, fn))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[modname] = mod
        try:
            spec.loader.exec_module(mod)
        except Exception as e:  # noqa: BLE001 - a broken file is one failure
            err = "%s: %s" % (type(e).__name__, e)

            def broken(err=err):
                raise AssertionError("cannot import the test file: " + err)
            name = "%s.<import>" % modname
            if not selector or selector in name or selector in modname:
                tests.append((name, broken))
            continue
        funcs = [f for name, f in vars(mod).items()
                 if name.startswith("test_") and callable(f)
                 and getattr(f, "__module__", None) == modname]
        funcs.sort(key=lambda f: f.__code__.co_firstlineno)
        for f in funcs:
            name = "%s.%s" % (modname, f.__name__)
            if selector and selector not in name:
                continue
            tests.append((name, f))
    return tests


def reason_of(exc):
    if isinstance(exc, AssertionError):
        msg = str(exc) or "assertion failed"
        tb = traceback.extract_tb(exc.__traceback__)
        # point at the line in the test file
        for fr in reversed(tb):
            if os.path.basename(fr.filename).startswith("test_"):
                msg += "  [%s:%d]" % (os.path.basename(fr.filename), fr.lineno)
                break
        return msg
    return "%s: %s\n%s" % (type(exc).__name__, exc, "".join(traceback.format_exception(
        type(exc), exc, exc.__traceback__)[-4:]).rstrip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--relto", default=os.path.join("build", "relto"),
                    help="the server binary (default build/relto)")
    ap.add_argument("-k", dest="select", default=None, help="run tests whose name contains this")
    ap.add_argument("-v", dest="verbose", action="store_true", help="verbose")
    ap.add_argument("--url", default=None,
                    help="test an already running server (e.g. http://127.0.0.1:8000)")
    args = ap.parse_args()
    H.VERBOSE = args.verbose

    tests = discover(args.select)
    passed = failed = skips = 0

    try:
        if args.url:
            u = urllib.parse.urlsplit(args.url)
            H.set_target(u.scheme, u.hostname, u.port or (443 if u.scheme == "https" else 80))
            H.RELTO = None
        else:
            relto = os.path.abspath(args.relto)
            H.RELTO = relto
            if not os.access(relto, os.X_OK):
                raise RuntimeError("server binary %s not found or not executable" % relto)
            H.start_demo(relto)
    except Exception as e:  # noqa: BLE001
        print("FAIL startup: %s" % e)
        print("api: 0 passed, %d failed" % max(1, len(tests)))
        return 1

    try:
        for name, fn in tests:
            mark = H.SERVER.stderr_size() if H.SERVER else 0
            t0 = time.time()
            err = None
            skipped = None
            try:
                fn()
            except H.Skip as e:
                skipped = str(e)
            except BaseException as e:  # noqa: BLE001 - isolate every test
                if isinstance(e, KeyboardInterrupt):
                    raise
                err = reason_of(e)
            # A test that killed the server fails, and the server is restarted.
            if H.SERVER is not None and not H.SERVER.alive():
                err = (err + "\n  " if err else "") + "server process died (exit %s)" % (
                    H.SERVER.proc.returncode if H.SERVER.proc else "?")
                tail = H.SERVER.stderr_tail(30, since=mark)
                print("FAIL %s: %s" % (name, err))
                if tail:
                    print("  server stderr:\n    " + tail.replace("\n", "\n    "))
                failed += 1
                try:
                    H.restart_demo()
                except Exception as e:  # noqa: BLE001
                    print("FAIL restart: %s" % e)
                    break
                continue
            dt = time.time() - t0
            if err is None and skipped is not None:
                skips += 1
                print("SKIP %s: %s" % (name, skipped))
            elif err is None:
                passed += 1
                if args.verbose:
                    print("ok   %s (%.2fs)" % (name, dt))
            else:
                failed += 1
                print("FAIL %s: %s" % (name, err))
                if H.SERVER is not None:
                    tail = H.SERVER.stderr_tail(15, since=mark) or H.SERVER.stderr_tail(5)
                    if tail:
                        print("  server stderr:\n    " + tail.replace("\n", "\n    "))
            sys.stdout.flush()
    finally:
        if H.SERVER is not None:
            rc = H.SERVER.stop()
            if args.verbose:
                print("server stopped (exit status %s); work dir %s" % (rc, H.SERVER.dir))
            H.SERVER.cleanup()

    for path, marker, excerpt in H.SANITIZER_REPORTS:
        failed += 1
        print("FAIL sanitizer: %s in %s\n    %s" % (marker, path, excerpt.replace("\n", "\n    ")))
    # Skipped tests are neither: they count in neither total.
    print("%s: %d passed, %d failed%s" % ("api-pg" if H.PG_URL else "api", passed, failed,
                                          " (%d skipped)" % skips if skips else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
