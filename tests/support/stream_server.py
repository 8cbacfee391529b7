"""Loopback servers for live-source tests: a camera-like MJPEG stream over HTTP, one that drops
and comes back, one that accepts and never answers, and a video file served as it is."""
import contextlib
import http.server
import itertools
import socket
import socketserver
import threading
import time

import cv2


def jpeg_frames(image_paths, size=(320, 240)):
    """JPEG bytes of each image, resized (small frames keep the tests fast)."""
    return [cv2.imencode(".jpg", cv2.resize(cv2.imread(str(p)), size))[1].tobytes() for p in image_paths]


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class _Served:
    """Serves ``self._server`` in a thread while the ``with`` block runs."""

    def __enter__(self):
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()


class LiveMjpegServer(_Served):
    """``http://127.0.0.1:PORT/video.mjpg``: ``frames`` at ``fps`` as an IP camera sends them
    (multipart/x-mixed-replace), live: the clip's clock starts at the first connection and a later
    connection joins at the current frame.

    ``cut_after``: the first connection is closed after that many frames, and the server answers
    503 for ``down_for`` seconds. After the last frame, connections are closed and new ones get
    404 (the camera is gone), unless ``endless``: then the frames repeat for as long as the server
    runs, so that only the client decides when a run ends (tests that must not race a clock).
    ``sent`` counts the frames sent, ``connections`` the GETs answered.
    """

    def __init__(self, frames, fps=25.0, cut_after=None, down_for=0.0, endless=False):
        self.frames, self.fps, self.endless = list(frames), float(fps), endless
        self.cut_after, self.down_for = cut_after, down_for
        self.sent, self.connections = 0, 0
        self.start = None
        self.down_until = 0.0
        self._lock = threading.Lock()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                owner._serve(self)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/video.mjpg"

    def _serve(self, handler):
        now = time.monotonic()
        with self._lock:
            if self.start is None:
                self.start = now
            first = int((now - self.start) * self.fps)
            if now < self.down_until or (first >= len(self.frames) and not self.endless):
                handler.send_error(503 if now < self.down_until else 404)
                return
            self.connections += 1
            cut = self.cut_after if self.connections == 1 else None
        handler.send_response(200)
        handler.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        handler.end_headers()
        with contextlib.suppress(OSError):
            last = itertools.count(first) if self.endless else range(first, len(self.frames))
            for number, index in enumerate(last):
                delay = self.start + index / self.fps - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                jpg = self.frames[index % len(self.frames)]
                handler.wfile.write(b"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n" % len(jpg)
                                    + jpg + b"\r\n")
                handler.wfile.flush()
                with self._lock:
                    self.sent += 1
                if cut is not None and number + 1 >= cut:
                    with self._lock:
                        self.down_until = time.monotonic() + self.down_for
                    break
        handler.close_connection = True


class FileServer(_Served):
    """``http://127.0.0.1:PORT/<name>``: one file, sent whole (a video served over HTTP)."""

    def __init__(self, path):
        data = open(path, "rb").read()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):
                    self.wfile.write(data)

        self._server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/{path.name}"


class SilentServer:
    """Accepts connections and never sends a byte."""

    def __init__(self):
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(8)
        self._held = []
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}/stream.mjpg"

    def _accept(self):
        with contextlib.suppress(OSError):
            while True:
                self._held.append(self._socket.accept()[0])

    def __enter__(self):
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc):
        for conn in self._held:
            conn.close()
        self._socket.close()
