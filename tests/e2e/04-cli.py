"""The command line: version, certs, usage errors, configuration errors."""
import base64
import os
import stat
import subprocess
import tempfile
import unittest

import rgtest


def run(*args):
    return subprocess.run([rgtest.BIN, *args], capture_output=True, text=True, timeout=30)


class CliTest(unittest.TestCase):
    def test_version_names_every_library(self):
        r = run("version")
        self.assertEqual(r.returncode, 0, r.stderr)
        for lib in ("raygate", "libmicrohttpd", "gnutls", "openssl", "cjson", "libyaml",
                    "libcurl", "jemalloc"):
            self.assertIn(lib, r.stdout)

    def test_help_and_usage_errors(self):
        for cmd in (["--help"], ["serve", "--help"], ["certs", "--help"], ["version", "--help"]):
            r = run(*cmd)
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn("usage", r.stdout)
        for cmd in ([], ["frobnicate"], ["serve", "--bogus"], ["serve", "--listen"],
                    ["certs"], ["certs", "--out", "/tmp/x", "--days", "abc"], ["version", "x"]):
            r = run(*cmd)
            self.assertEqual(r.returncode, 2, (cmd, r.stdout, r.stderr))
            self.assertIn("usage", r.stderr)

    def test_certs_writes_a_verifiable_chain(self):
        d = tempfile.mkdtemp()
        out = os.path.join(d, "c")
        r = run("certs", "--out", out, "--dns", "raygate.example", "--ip", "10.0.0.7")
        self.assertEqual(r.returncode, 0, r.stderr)
        bundle = [l for l in r.stdout.splitlines() if l.startswith("caBundle: ")][0][10:]
        with open(os.path.join(out, "ca.crt"), "rb") as f:
            self.assertEqual(base64.b64decode(bundle), f.read())
        self.assertEqual(stat.S_IMODE(os.stat(os.path.join(out, "tls.key")).st_mode), 0o600)
        v = subprocess.run(["openssl", "verify", "-CAfile", os.path.join(out, "ca.crt"),
                            os.path.join(out, "tls.crt")], capture_output=True, text=True)
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        text = subprocess.run(["openssl", "x509", "-in", os.path.join(out, "tls.crt"), "-noout",
                               "-text"], capture_output=True, text=True).stdout
        self.assertIn("DNS:raygate.example", text)
        self.assertIn("IP Address:10.0.0.7", text)
        r = run("certs", "--out", out)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--force", r.stderr)

    def test_default_sans_are_the_service_names(self):
        out = os.path.join(tempfile.mkdtemp(), "c")
        self.assertEqual(run("certs", "--out", out).returncode, 0)
        text = subprocess.run(["openssl", "x509", "-in", os.path.join(out, "tls.crt"), "-noout",
                               "-text"], capture_output=True, text=True).stdout
        self.assertIn("DNS:raygate.raygate-system.svc", text)

    def test_config_errors_name_file_and_line(self):
        d = tempfile.mkdtemp()
        cfg = os.path.join(d, "bad.yaml")
        with open(cfg, "w") as f:
            f.write("server:\n  threads: 2\n  bogus: 1\n")
        r = run("serve", "--config", cfg)
        self.assertEqual(r.returncode, 2)
        self.assertIn("bad.yaml:3", r.stderr)
        self.assertIn("server.bogus", r.stderr)
        r = run("serve", "--listen", "127.0.0.1:70000")
        self.assertEqual(r.returncode, 2)
        self.assertIn("70000", r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
