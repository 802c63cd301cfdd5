"""Every malformed or unwelcome request gets its status code and a
Kubernetes Status body, and the server keeps serving afterwards."""
import json
import os
import socket
import time
import unittest

import rgtest
from rgtest import admission_review


class BadRequestTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.rg = rgtest.Raygate()
        cfg = os.path.join(cls.rg.tmp, "raygate.yaml")
        with open(cfg, "w") as f:
            f.write("server:\n  requestTimeoutSeconds: 2\n  connectionTimeoutSeconds: 3\n"
                    "  maxBodyBytes: 64Ki\n")
        cls.rg.args += ["--config", cfg]
        cls.rg.start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.rg.stop()
        cls.rg.cleanup()
        assert rc == 0, rc

    def tearDown(self):
        # After every abuse the server still answers.
        status, _, body = self.rg.request("GET", "/healthz")
        self.assertEqual((status, body), (200, b"ok\n"))

    def assertStatus(self, result, code, message_part=None):
        status, headers, body = result
        self.assertEqual(status, code, body)
        self.assertTrue(headers["content-type"].startswith("application/json"))
        st = json.loads(body)
        self.assertEqual((st["kind"], st["apiVersion"], st["status"], st["code"]),
                         ("Status", "v1", "Failure", code))
        if message_part:
            self.assertIn(message_part, st["message"])
        return st

    def test_unknown_path_is_404(self):
        st = self.assertStatus(self.rg.request("GET", "/nope"), 404, "/nope")
        self.assertEqual(st["reason"], "NotFound")

    def test_wrong_method_is_405_with_allow(self):
        result = self.rg.request("GET", "/mutate")
        self.assertStatus(result, 405)
        self.assertEqual(result[1]["allow"], "POST")
        result = self.rg.request("POST", "/healthz", b"{}")
        self.assertStatus(result, 405)
        self.assertEqual(result[1]["allow"], "GET, HEAD")

    def test_non_json_content_type_is_415(self):
        self.assertStatus(self.rg.request("POST", "/mutate", b"{}",
                                          headers={"Content-Type": "text/plain"}),
                          415, "text/plain")

    def test_declared_oversized_body_is_413_before_upload(self):
        s = self.rg.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", self.rg.port)),
                                              server_hostname="localhost")
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 104857600\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        data = data.decode()
        s.close()
        self.assertTrue(data.startswith("HTTP/1.1 413"), data)
        self.assertIn('"reason":"RequestEntityTooLarge"', data)

    def test_client_writing_its_whole_body_first_reads_the_413(self):
        # Python's http.client sends headers and body, then reads: the answer
        # must survive (no reset), so the server drains the body it refused.
        body = b"{" + b" " * (4 * 1024 * 1024) + b"}"  # 4 MiB > 64 KiB, > socket buffers
        c = self.rg.conn()
        c.request("POST", "/validate", body=body, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        headers = {k.lower(): v for k, v in r.getheaders()}
        st = self.assertStatus((r.status, headers, r.read()), 413, "exceeds the limit")
        self.assertEqual(st["reason"], "RequestEntityTooLarge")
        self.assertEqual(headers.get("connection"), "close")
        c.close()

    def test_any_early_refusal_survives_a_body_written_first(self):
        # 404, 405 and 415 are decided at the headers too: the body still
        # arriving is drained, so the client reads its answer.
        body = b"x" * (2 * 1024 * 1024)
        for method, path, ctype, code in (("POST", "/nope", "application/json", 404),
                                          ("POST", "/healthz", "application/json", 405),
                                          ("POST", "/mutate", "text/plain", 415)):
            c = self.rg.conn()
            c.request(method, path, body=body, headers={"Content-Type": ctype})
            r = c.getresponse()
            headers = {k.lower(): v for k, v in r.getheaders()}
            self.assertStatus((r.status, headers, r.read()), code)
            self.assertEqual(headers.get("connection"), "close")
            c.close()

    def test_413_ends_with_close_notify(self):
        # An orderly TLS close: after the answer, the TLS layer reports a clean
        # end of stream (close_notify), never a truncation or a reset.
        s = self.rg.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", self.rg.port)),
                                              server_hostname="localhost")
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1048576\r\n\r\n" + b" " * (1024 * 1024))
        data = b""
        while True:
            chunk = s.recv(65536)  # raises SSLEOFError on an unclean end
            if not chunk:
                break
            data += chunk
        s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data)

    def test_chunked_oversized_body_is_413(self):
        c = self.rg.conn()
        chunks = (b"x" * 16384 for _ in range(8))  # 128 KiB > 64 KiB
        c.request("POST", "/mutate", body=chunks, encode_chunked=True,
                  headers={"Content-Type": "application/json", "Transfer-Encoding": "chunked"})
        r = c.getresponse()
        self.assertStatus((r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()), 413)
        c.close()

    def test_malformed_json_names_the_byte_offset(self):
        st = self.assertStatus(
            self.rg.request("POST", "/mutate", b'{"apiVersion": "admission.k8s.io/v1", x}'), 400)
        # cJSON reports the offset where it gave up: at or just past the 'x' (byte 38).
        self.assertRegex(st["message"], r"malformed JSON at byte 3[89]")

    def test_review_without_uid_or_object(self):
        review = admission_review(rgtest.seed_raycluster())
        del review["request"]["uid"]
        self.assertStatus(self.rg.request("POST", "/mutate", review), 400, "request.uid")
        review = admission_review(rgtest.seed_raycluster())
        review["request"]["object"] = None
        self.assertStatus(self.rg.request("POST", "/mutate", review), 400, "request.object")

    def test_deep_nesting_and_garbage(self):
        self.assertStatus(self.rg.request("POST", "/mutate", b"[" * 5000), 400)
        self.assertStatus(self.rg.request("POST", "/mutate", bytes(range(256))), 400)
        self.assertStatus(self.rg.request("POST", "/mutate", b""), 400)
        self.assertStatus(self.rg.request("POST", "/mutate", b'"just a string"'), 400)

    def test_scheduler_routes_refuse_garbage(self):
        # Not JSON of the verb's type: 400 naming the byte; an empty args object is decodable
        # (every member may be null) and answered as the protocol says.
        for path in ("/scheduler/filter", "/scheduler/prioritize", "/scheduler/bind",
                     "/scheduler/preempt"):
            self.assertStatus(self.rg.request("POST", path, b"[" * 5000), 400)
            self.assertStatus(self.rg.request("POST", path, bytes(range(256))), 400)
        status, _, data = self.rg.request("POST", "/scheduler/filter", b"{}")
        self.assertEqual((status, json.loads(data)["Error"]), (200, "Pod: Required value"))
        status, _, data = self.rg.request("POST", "/scheduler/bind", b"{}")
        self.assertIn("PodName, PodNamespace and Node are required", json.loads(data)["Error"])

    def test_slow_body_is_cut_off_and_does_not_block_others(self):
        s = self.rg.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", self.rg.port)),
                                              server_hostname="localhost")
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        closed = False
        start = time.time()
        while time.time() - start < 8:
            # Meanwhile another client is served promptly.
            t0 = time.time()
            self.assertEqual(self.rg.request("GET", "/healthz")[0], 200)
            self.assertLess(time.time() - t0, 1.0)
            try:
                s.sendall(b" ")
            except OSError:
                closed = True
                break
            time.sleep(0.5)
        s.close()
        self.assertTrue(closed, "a body trickling past requestTimeoutSeconds must be cut off")
        self.assertLess(time.time() - start, 6)

    def test_idle_half_headers_are_closed(self):
        s = self.rg.ssl_context().wrap_socket(socket.create_connection(("127.0.0.1", self.rg.port)),
                                              server_hostname="localhost")
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        s.settimeout(10)
        start = time.time()
        try:
            data = s.recv(100)
        except (ConnectionResetError, ssl_errors()):
            data = b""
        self.assertEqual(data, b"")
        self.assertLess(time.time() - start, 8)
        s.close()


def ssl_errors():
    import ssl
    return ssl.SSLError


if __name__ == "__main__":
    unittest.main(verbosity=2)
