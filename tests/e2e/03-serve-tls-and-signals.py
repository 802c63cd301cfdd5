"""Certificate rotation seen by new connections without dropping open ones, on the main
listener and the metrics-only one (--metrics-listen) alike; SIGTERM lets a request in flight
finish, then raygate exits 0."""
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
import unittest

import rgtest


def run_certs(out_dir, *extra):
    return subprocess.run([rgtest.BIN, "certs", "--out", out_dir, "--dns", "localhost",
                           "--ip", "127.0.0.1", *extra], capture_output=True, text=True)


def serial_of_der(der):
    out = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout", "-serial"], input=der,
                         capture_output=True, check=True).stdout.decode()
    return out.strip().split("=", 1)[1].upper()


def serial_of_pem_file(path):
    out = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-serial"],
                         capture_output=True, check=True, text=True).stdout
    return out.strip().split("=", 1)[1].upper()


class TlsRotationTest(unittest.TestCase):
    def test_rotation_reaches_new_connections_only(self):
        rg = rgtest.Raygate()
        certs = os.path.join(rg.tmp, "certs")
        self.assertEqual(run_certs(certs).returncode, 0)
        rg.args += ["--cert", os.path.join(certs, "tls.crt"), "--key", os.path.join(certs, "tls.key")]
        cfg = os.path.join(rg.tmp, "raygate.yaml")
        with open(cfg, "w") as f:
            f.write("tls:\n  pollIntervalMillis: 100\n")
        mport = rgtest.free_port()
        rg.args += ["--config", cfg, "--metrics-listen", "127.0.0.1:%d" % mport]
        rg.ca_file = os.path.join(certs, "ca.crt")

        def metrics_conn():
            return http.client.HTTPSConnection("127.0.0.1", mport, timeout=10,
                                               context=rg.ssl_context())
        with rg:
            # The metrics-only listener: its two routes, nothing else, same certificate.
            for path, want in (("/metrics", 200), ("/healthz", 200), ("/readyz", 404),
                               ("/status", 404), ("/version", 404)):
                self.assertEqual(rg.request("GET", path, conn=metrics_conn())[0], want, path)
            self.assertEqual(rg.request("POST", "/mutate", {}, conn=metrics_conn())[0], 404)
            old = rg.conn()
            self.assertEqual(rg.request("GET", "/healthz", conn=old)[0], 200)
            first = serial_of_der(old.sock.getpeercert(binary_form=True))
            self.assertEqual(first, serial_of_pem_file(os.path.join(certs, "tls.crt")))

            # cert-manager style: new files in place, new CA too.
            res = run_certs(certs, "--force")
            self.assertEqual(res.returncode, 0, res.stderr)
            rg.ca_file = os.path.join(certs, "ca.crt")
            second = serial_of_pem_file(os.path.join(certs, "tls.crt"))
            self.assertNotEqual(first, second)
            self.assertEqual(self.serial_seen(rg.conn, second), second)
            self.assertEqual(self.serial_seen(metrics_conn, second), second)
            # The connection opened before the swap is still served.
            self.assertEqual(rg.request("GET", "/healthz", conn=old)[0], 200)
            old.close()
            self.assertIn("serving certificate reloaded", rg.logs())
        rg.cleanup()

    def serial_seen(self, connect, want):
        """The serial new connections see, polled until it is want (or 10 s pass)."""
        deadline = time.time() + 10
        seen = None
        while time.time() < deadline:
            c = connect()
            try:
                c.connect()
                seen = serial_of_der(c.sock.getpeercert(binary_form=True))
            except ssl.SSLError:
                seen = None
            finally:
                c.close()
            if seen == want:
                break
            time.sleep(0.1)
        return seen

    def test_bad_new_files_keep_the_old_certificate(self):
        rg = rgtest.Raygate()
        certs = os.path.join(rg.tmp, "certs")
        self.assertEqual(run_certs(certs).returncode, 0)
        rg.args += ["--cert", os.path.join(certs, "tls.crt"), "--key", os.path.join(certs, "tls.key")]
        rg.ca_file = os.path.join(certs, "ca.crt")
        with rg:
            with open(os.path.join(certs, "tls.crt"), "w") as f:
                f.write("not a certificate\n")
            rg.proc.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            self.assertIn("certificate reload failed", rg.logs())
            rg.ca_file = None  # the CA file no longer matters: the old pair is still served
            self.assertEqual(rg.request("GET", "/healthz")[0], 200)
        rg.cleanup()


class BusyPortTest(unittest.TestCase):
    def test_second_raygate_on_a_busy_port_fails_naming_the_address(self):
        first = rgtest.Raygate()
        try:
            first.start()
            second = rgtest.Raygate()
            second.port = first.port
            second.args[second.args.index("--listen") + 1] = f"127.0.0.1:{first.port}"
            try:
                second.start(wait=False)
                rc = second.proc.wait(timeout=20)
                self.assertNotEqual(rc, 0)
                self.assertIn(f"cannot listen on 127.0.0.1:{first.port}: address already in use",
                              second.logs())
            finally:
                second.cleanup()
            status, _, _ = first.request("GET", "/healthz")
            self.assertEqual(status, 200)
        finally:
            first.stop()
            first.cleanup()

    def test_reuse_port_shares_the_port_on_purpose(self):
        first = rgtest.Raygate("--reuse-port")
        try:
            first.start()
            second = rgtest.Raygate("--reuse-port")
            second.port = first.port
            second.args[second.args.index("--listen") + 1] = f"127.0.0.1:{first.port}"
            try:
                second.start()  # waits for /readyz on the shared port
                self.assertIsNone(second.proc.poll())
                self.assertEqual(second.stop(), 0)
            finally:
                second.cleanup()
        finally:
            first.stop()
            first.cleanup()


class SigtermTest(unittest.TestCase):
    def test_request_in_flight_finishes_then_exit_0(self):
        rg = rgtest.Raygate()
        with rg:
            review = rgtest.admission_review(rgtest.seed_raycluster(), uid="in-flight")
            import json
            body = json.dumps(review).encode()
            s = rg.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", rg.port)),
                                             server_hostname="localhost")
            s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body))
            s.sendall(body[:100])
            time.sleep(0.3)
            rg.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            self.assertIsNone(rg.proc.poll(), "raygate must wait for the request in flight")
            # New connections are refused while draining.
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", rg.port), timeout=2).close()
                raise OSError("connected")  # a lingering accept queue still counts as refused
            s.sendall(body[100:])
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            s.close()
            self.assertTrue(data.startswith(b"HTTP/1.1 200"), data[:200])
            self.assertIn(b'"uid":"in-flight"', data)
            self.assertEqual(rg.proc.wait(20), 0)
            self.assertIn("stopped", rg.logs())
        rg.cleanup()


if __name__ == "__main__":
    unittest.main(verbosity=2)
