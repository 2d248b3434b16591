"""The operator console (docs/console.md): /console/ is for the admin role
only (401 without credentials, 403 for a partner), its three files are
served with their media types and a strict Content-Security-Policy and
load nothing from elsewhere; and, end to end in headless Chromium (Debian's
`chromium` package), the page renders the partners x levels matrix from
the admin API, kor's SECRET cell at 0 received and gbr's above 0, kor's
high-risk vendor (huawei) highlighted and the audit panel showing the
newest checkpoint of the audit trail, verified (after a partner read a page
and the writer signed it).  The screenshot is copied to tests/api/out/console.png.

Without chromium the browser test FAILS, unless RELTO_NO_BROWSER=1 (then it
is skipped).
"""

import base64
import html.parser
import json
import os
import select
import shutil
import subprocess
import time

import harness as H

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "out")
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "connect-src 'self'; frame-ancestors 'none'")


def demo():
    return H.Server(H.RELTO, ["demo", "--quiet", "--listen", "127.0.0.1:{port}", "--db", "{dir}/c.db"],
                    name="relto-console").start()


def get(srv, path, user="admin", method="GET"):
    return H.request(method, path, user=user, accept=None, server=srv, checks=False)


def test_console_files_and_access():
    srv = demo()
    try:
        r = get(srv, "/console/", user=None)
        H.eq(r.status, 401, "GET /console/ without credentials")
        H.check((r.header("WWW-Authenticate") or "").startswith("Basic "),
                "401 asks for HTTP Basic: %r" % r.header("WWW-Authenticate"))
        r = get(srv, "/console/", user="kor")
        H.eq(r.status, 403, "GET /console/ as a partner")
        r = get(srv, "/console/console.js", user="usa")
        H.eq(r.status, 403, "GET /console/console.js as the hub partner")

        for path, mt in (("/console/", "text/html; charset=utf-8"),
                         ("/console", "text/html; charset=utf-8"),
                         ("/console/console.css", "text/css; charset=utf-8"),
                         ("/console/console.js", "text/javascript; charset=utf-8")):
            r = get(srv, path)
            H.eq(r.status, 200, "GET %s as admin" % path)
            H.eq(r.header("Content-Type"), mt, "Content-Type of %s" % path)
            H.eq(r.header("Content-Security-Policy"), CSP, "CSP of %s" % path)
            H.eq(r.header("X-Frame-Options"), "DENY", "X-Frame-Options of %s" % path)
            H.eq(r.header("Cache-Control"), "no-store", "Cache-Control of %s" % path)
            H.check(len(r.body) > 500, "%s has a body (%d bytes)" % (path, len(r.body)))
        r = get(srv, "/console/", method="HEAD")
        H.eq(r.status, 200, "HEAD /console/")

        page = get(srv, "/console/").body.decode("utf-8")
        for ext in ("http://", "https://", "//fonts", "cdn"):
            H.check(ext not in page.lower(), "the page names no external resource (%r found)" % ext)
        H.check('href="/console/console.css"' in page and 'src="/console/console.js"' in page,
                "the page loads its own stylesheet and script")
        for path in ("/console/nope", "/console/console.css/", "/console/x/console.js", "/consolex/"):
            r = get(srv, path)
            H.check(r.status == 404 or (path == "/consolex/" and r.status in (401, 403, 404)),
                    "GET %s: 404, not %d" % (path, r.status))
        r = H.request("POST", "/console/", user="admin", accept=None, server=srv, checks=False,
                      body=b"{}", content_type="application/json")
        H.eq(r.status, 405, "POST /console/")
        H.eq(r.header("Allow"), "GET, HEAD", "Allow of /console/")
    finally:
        srv.cleanup()


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("RELTO_NO_BROWSER") == "1":
        raise H.Skip("no chromium, and RELTO_NO_BROWSER=1")
    H.fail("the console test needs Debian's chromium package (apt-get install -y chromium); "
           "set RELTO_NO_BROWSER=1 to skip it")


def run_browser(exe, srv, work, *what):
    """Run headless Chromium on the console with kor selected; returns stdout."""
    url = "http://admin:%s@127.0.0.1:%d/console/#partner=kor" % (H.PASSWORDS["admin"], srv.port)
    argv = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
            "--virtual-time-budget=8000", "--no-first-run", "--no-default-browser-check",
            "--user-data-dir=" + os.path.join(work, "profile")] + list(what) + [url]
    p = subprocess.run(argv, capture_output=True, timeout=180, cwd=work)
    H.check(p.returncode == 0, "chromium %s exited with %d: %s" % (" ".join(what), p.returncode,
                                                                  p.stderr.decode("utf-8", "replace")[-1500:]))
    return p.stdout.decode("utf-8", "replace")


class Dom(html.parser.HTMLParser):
    """The few facts the test reads from the rendered page."""
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack = []       # (tag, attrs) of the open elements
        self.cells = {}       # (partner, level) -> (received, withheld, share)
        self.equipment = []   # (partner of the table, vendor, classes of the row)
        self.body = {}
        self.text = {}        # id -> its text
        self.ids = set()

    def _near(self, tag, key=None):
        for t, a in reversed(self.stack):
            if t == tag and (key is None or key in a):
                return a
        return None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "td" and "data-level" in a:
            tr = self._near("tr", "data-partner")
            if tr:
                self.cells[(tr["data-partner"], a["data-level"])] = (
                    int(a["data-received"]), int(a["data-withheld"]), a.get("data-share"))
        if tag == "tr" and "data-vendor" in a:
            table = self._near("table", "id")
            if table and table.get("id") == "equipment":
                self.equipment.append((table.get("data-partner"), a["data-vendor"], a.get("class", "")))
        if tag not in self.VOID:
            self.stack.append((tag, a))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                return

    def handle_data(self, data):
        for _, a in self.stack:
            if "id" in a:
                self.text[a["id"]] = self.text.get(a["id"], "") + data


def test_console_in_headless_chromium():
    exe = chromium()
    srv = demo()
    try:
        receiving = H.request("GET", "/admin/receiving", user="admin", accept="application/json",
                              server=srv, checks=False)
        H.eq(receiving.status, 200, "GET /admin/receiving")
        # A partner reads a page: one audit record, signed within a second.
        page = H.request("GET", H.coll_path("intel", "objects/"), params={"limit": "5"}, user="kor", server=srv,
                         checks=False)
        H.eq(page.status, 200, "kor reads a page")
        deadline = time.time() + 10
        while time.time() < deadline:
            st = H.request("GET", "/admin/audit", user="admin", accept="application/json", server=srv,
                           checks=False)
            if st.status == 200 and st.json and st.json.get("checkpoint"):
                break
            time.sleep(0.2)
        H.check(st.json and st.json.get("checkpoint") and st.json["checkpoint"].get("valid") is True,
                "GET /admin/audit shows a valid checkpoint: %r" % (st.json,))
        work = srv.dir
        dump = run_browser(exe, srv, work, "--dump-dom")
        with open(os.path.join(work, "console-dom.html"), "w") as f:
            f.write(dump)
        dom = Dom()
        dom.feed(dump)
        status = " ".join(dom.text.get("status", "").split())
        H.check(dom.body.get("data-loaded") == "true",
                "the console loaded its data through the browser's Basic login (status line: %r)" % status)

        # The matrix is the admin API's numbers, cell by cell.
        for p in receiving.json["partners"]:
            for lv in p["levels"]:
                got = dom.cells.get((p["partner"], lv["level"]))
                H.check(got is not None, "the matrix has a cell for %s %s" % (p["partner"], lv["level"]))
                H.eq(got[:2], (lv["receives"], lv["withheld"]), "matrix cell %s %s" % (p["partner"], lv["level"]))
        kor, gbr = dom.cells.get(("kor", "SECRET")), dom.cells.get(("gbr", "SECRET"))
        H.check(kor and kor[0] == 0 and kor[1] > 0 and kor[2] == "none",
                "kor receives no SECRET object (red): %r" % (kor,))
        H.check(gbr and gbr[0] > 0, "gbr receives SECRET objects: %r" % (gbr,))
        usa = dom.cells.get(("usa", "SECRET"))
        H.check(usa and usa[2] == "all", "usa receives every SECRET object (green): %r" % (usa,))

        # kor's networks: huawei highlighted as high risk, samsung not.
        rows = [(v, c.split()) for p, v, c in dom.equipment if p == "kor"]
        H.check(rows, "the partner panel shows kor's equipment")
        H.check(any(v == "huawei" and "high-risk" in c for v, c in rows),
                "huawei is highlighted as high risk for kor: %r" % rows)
        H.check(all("high-risk" not in c for v, c in rows if v == "samsung"),
                "samsung is not highlighted: %r" % rows)
        H.check("not on the REL TO list" in dom.text.get("partner-detail", "")
                and "high-risk vendor" in dom.text.get("partner-detail", ""),
                "kor's reasons name the rules that withhold")

        # Header, what-if form, audit panel.
        H.eq(dom.text.get("v-posture"), "v0", "posture version in the header")
        H.eq(dom.text.get("v-policy"), "v0", "policy version in the header")
        audit = " ".join(dom.text.get("audit-panel", "").split())
        H.check("Last checkpoint verified" in audit and "ed25519:" in audit,
                "the audit panel shows the newest checkpoint, verified, and the key: %r" % audit)
        H.check("w-partner" in dom.ids and "run-whatif" in dom.ids and "reason" in dom.ids,
                "the what-if form is there")

        shot = os.path.join(work, "console.png")
        run_browser(exe, srv, work, "--screenshot=" + shot)
        with open(shot, "rb") as f:
            png = f.read()
        H.check(png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10000, "the screenshot is a PNG (%d bytes)" % len(png))
        os.makedirs(OUT, exist_ok=True)
        dest = os.path.join(OUT, "console.png")
        shutil.copyfile(shot, dest)
        print("  console screenshot: %s" % os.path.relpath(dest))
    finally:
        srv.cleanup()


class Browser:
    """Headless Chromium driven over the DevTools protocol on a pipe
    (--remote-debugging-pipe: requests on fd 3, answers on fd 4, each a
    JSON text ended by a NUL byte), to press the console's buttons."""

    def __init__(self, exe, work):
        to_r, self.to_w = os.pipe()
        self.from_r, from_w = os.pipe()

        def child():
            os.dup2(to_r, 3)
            os.dup2(from_w, 4)
        self.err = open(os.path.join(work, "chromium.stderr"), "wb")
        argv = [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--no-first-run", "--no-default-browser-check", "--remote-debugging-pipe",
                "--user-data-dir=" + os.path.join(work, "profile-cdp"), "about:blank"]
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.err, stderr=self.err,
                                     close_fds=False, preexec_fn=child, cwd=work)
        os.close(to_r)
        os.close(from_w)
        self.buf, self.next_id, self.session = b"", 0, None

    def call(self, method, params=None, session=True, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            while b"\0" in self.buf:
                raw, self.buf = self.buf.split(b"\0", 1)
                doc = json.loads(raw)
                if doc.get("id") == self.next_id:
                    if "error" in doc:
                        H.fail("chromium: %s: %s" % (method, doc["error"]))
                    return doc.get("result", {})
            left = deadline - time.time()
            if left <= 0 or not select.select([self.from_r], [], [], left)[0]:
                H.fail("chromium: no answer to %s within %d s" % (method, timeout))
            chunk = os.read(self.from_r, 1 << 20)
            if not chunk:
                H.fail("chromium exited (%s)" % self.proc.poll())
            self.buf += chunk

    def open(self, url):
        """Attach to the blank page and load url there."""
        deadline = time.time() + 30
        while time.time() < deadline:
            pages = [t for t in self.call("Target.getTargets", session=False)["targetInfos"] if t["type"] == "page"]
            if pages:
                self.session = self.call("Target.attachToTarget", {"targetId": pages[0]["targetId"],
                                                                    "flatten": True}, session=False)["sessionId"]
                self.call("Page.enable")
                nav = self.call("Page.navigate", {"url": url})
                H.check(not nav.get("errorText"), "chromium: loading %s: %s" % (url, nav.get("errorText")))
                return
            time.sleep(0.2)
        H.fail("chromium opened no page")

    def js(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "awaitPromise": True, "returnByValue": True})
        if "exceptionDetails" in r:
            H.fail("in the page: %s" % r["exceptionDetails"].get("exception", {}).get("description", r))
        return r["result"].get("value")

    def wait(self, cond, what, timeout=30):
        """Wait until the JS expression cond is truthy in the page."""
        return self.js("""new Promise((ok, no) => { const t0 = Date.now(); (function poll() {
            let v; try { v = (%s); } catch (e) { v = null; }
            if (v) ok(v); else if (Date.now() - t0 > %d) no(new Error(%s + ': not within %d s; status line: ' +
                document.getElementById('status').textContent)); else setTimeout(poll, 100); })(); })"""
                       % (cond, timeout * 1000, json.dumps(what), timeout))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", {"format": "png"})["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", session=False, timeout=10)
        except Exception:  # noqa: BLE001 - it is going away anyway
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self.to_w, self.from_r):
            os.close(fd)
        self.err.close()


def test_console_whatif_and_apply_in_chromium():
    """Press "What if?" for kor's Huawei equipment (the form's default for
    kor), read the impact table, apply with a reason, and see the matrix
    and the header change."""
    exe = chromium()
    srv = demo()
    b = None
    try:
        url = "http://admin:%s@127.0.0.1:%d/console/#partner=kor" % (H.PASSWORDS["admin"], srv.port)
        b = Browser(exe, srv.dir)
        b.open(url)
        b.wait("document.body.dataset.loaded === 'true'", "the console loads")
        form = b.js("[...['op', 'w-partner', 'w-operator', 'w-segment', 'w-vendor']]"
                    ".map(id => document.getElementById(id).value)")
        H.eq(form, ["remove-equipment", "kor", "LG Uplus", "ran", "huawei"],
             "the what-if form starts at kor's high-risk equipment")
        b.js("document.getElementById('run-whatif').click()")
        rows = b.wait("document.getElementById('impact-table') && [...document.querySelectorAll("
                      "'#impact-table tbody tr')].map(tr => [tr.dataset.partner, tr.cells[1].textContent, "
                      "tr.cells[2].textContent, tr.cells[5].textContent])", "the impact table")
        kor = [r for r in rows if r[0] == "kor"]
        H.check(kor and kor[0][1].startswith("+") and "high-risk vendor" in kor[0][3],
                "kor gains objects, by the high-risk vendor rule: %r" % kor)
        H.check(all(r[1] == "0" and r[2] == "0" for r in rows if r[0] != "kor"),
                "no other partner gains or loses: %r" % rows)
        H.eq(b.js("document.getElementById('v-posture').textContent"), "v0", "a what-if changes nothing")
        b.js("document.getElementById('impact').scrollIntoView()")
        os.makedirs(OUT, exist_ok=True)
        b.screenshot(os.path.join(OUT, "console-whatif.png"))
        print("  what-if screenshot: %s" % os.path.relpath(os.path.join(OUT, "console-whatif.png")))

        b.js("document.getElementById('apply').click()")
        b.wait("/reason is required/.test(document.getElementById('status').textContent)",
               "Apply without a reason is refused in the page")
        b.js("document.getElementById('reason').value = 'LG Uplus completed the swap-out';"
             "document.getElementById('apply').click()")
        b.wait("/Posture version 1 is in force/.test(document.getElementById('status').textContent)",
               "the change is applied")
        H.eq(b.js("document.getElementById('v-posture').textContent"), "v1", "the header shows posture v1")
        secret = b.js("+document.querySelector('tr[data-partner=\"kor\"] td[data-level=\"SECRET\"]')"
                      ".dataset.received")
        H.check(secret > 0, "the matrix now shows kor receiving SECRET objects (%r)" % secret)
        log = b.js("document.getElementById('posture-log').textContent")
        H.check("LG Uplus completed the swap-out" in log, "the version is listed with its reason: %r" % log)
        r = H.request("GET", "/admin/", user="admin", accept="application/json", server=srv, checks=False)
        H.eq(r.json["posture"]["version"], 1, "the server has posture version 1 in force")
    finally:
        if b:
            b.close()
        srv.cleanup()
