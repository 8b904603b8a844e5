"""A local National Public Service Portal (Cổng DVCQG) for the demo and the tests: a process of
its own, with no Django, speaking the two sync services of ``shape.py``.

- ``POST /`` (any path outside ``/_simulator/``): ``{"service", "isUpdating", "data"}``, checked
  against ``shape.REQUEST``. A record that breaks the schema is refused with ``error_code`` "1"
  and the fields named (``errors: [{"field": "data[0].TrangThai", "message": …}]``); nothing of
  that request is kept. Order is checked too [I, the real portal's rule is not documented]: a
  step or an update for a dossier the portal never got, or a second create, is refused ("2").
- Idempotency: the client sends ``Idempotency-Key`` (one per record, comma-separated when a
  request carries several); a record whose key was accepted before is counted as a duplicate,
  not stored again; a request of duplicates only is answered ``error_code`` "0" with
  ``"duplicate": true``. The documented services carry no such key [I]: it is the platform's,
  and a real portal ignores it.
- ``GET /_simulator/received``: what was accepted (in order), refused, and duplicated, how
  many connections are being held (``holding``) and the keys of the records they carried.
- ``POST /_simulator/faults`` ``{"mode": "http500"|"error_code"|"slow"|"silent", "count": n,
  "delay": s}``: the next ``n`` requests fail that way (intake's pulls too, for ``http500`` and
  ``error_code``). ``slow`` answers after ``delay``;
  ``silent`` keeps the record, then holds the connection ``delay`` seconds and closes it with no
  answer (the client cannot know the record arrived); ``http500`` and ``error_code`` keep
  nothing; with ``"seconds": t`` instead, every request for the next ``t`` seconds fails that
  way (an outage of a minute is ``"seconds": 60``). ``POST /_simulator/reset`` forgets
  everything.
- Intake (``intake.py``): ``POST /_simulator/file`` files a dossier on the portal as a citizen
  would: ``{"MaDonViTiepNhan", "HoSo": {…DongBoHoSoMC record…}, "DuLieuToKhai": {…},
  "TepDinhKem": [{"MaThanhPhanHoSo", "TenTepDinhKem", "NoiDung": base64}]}``; each file is kept
  and listed in ``HoSo.TaiLieuNop`` with its download link ``GET /tep/<id>``; the item is handed
  over as given otherwise (a test may file a malformed one). Answer ``{"SoThuTu", "MaHoSo"}``.
  ``POST /`` ``{"service": "LayDanhSachHoSoMoi", "data": [{"SauSoThuTu": n}]}`` answers
  ``{"error_code": "0", "data": [items after n]}``; the dossier is then known to the portal, so
  the platform's sync answers it with updates and steps.
- ``--journal FILE``: each accepted record is appended to ``FILE`` (a JSON line) before the
  answer goes out, and read back on start: killed and started again, the simulator remembers
  what it took and its keys, as a real portal does.

Run: ``python -m dichvucong.nationalsync.simulator --port 8002`` (prints the port on its first
line; ``--port 0`` picks a free one), or ``dichvucong national_simulator``; ``serve`` starts it
in the demo.
"""

from __future__ import annotations

import argparse
import base64
import hmac
import json
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema_rs

from dichvucong.nationalsync import shape

CONTROL = "/_simulator/"


class Portal:
    """The simulator's state; thread-safe."""

    def __init__(self, username: str = "", password: str = "", journal: str = "") -> None:
        self.username, self.password = username, password
        self.validator = jsonschema_rs.validator_for(shape.REQUEST)
        self.lock = threading.Lock()
        self.journal = None
        self.reset()
        if journal:
            self._replay(journal)
            self.journal = open(journal, "a", encoding="utf-8")  # noqa: SIM115 - the process's

    def _replay(self, path: str) -> None:
        try:
            with open(path, encoding="utf-8") as lines:
                for line in lines:
                    try:
                        entry = json.loads(line)
                    except ValueError:
                        break  # a line cut short by a kill: that record was never answered
                    self._keep(entry)
        except FileNotFoundError:
            pass

    def _keep(self, entry: dict) -> None:
        self.keys.add(entry["key"])
        if entry["service"] == shape.DOSSIER_SERVICE:
            self.dossiers[entry["record"]["MaHoSo"]] = entry["record"]
        self.accepted.append(entry)

    def reset(self) -> None:
        with getattr(self, "lock", threading.Lock()):
            self.accepted: list[dict] = []
            self.refused: list[dict] = []
            self.duplicates: list[dict] = []
            self.keys: set[str] = set()
            self.dossiers: dict[str, dict] = {}
            self.faults: list[dict] = []
            self.filed: list[dict] = []
            self.files: dict[str, bytes] = {}
            self.outage: dict | None = None
            self.holding = 0
            self.held_keys: list[str] = []
            if getattr(self, "journal", None) is not None:
                self.journal.truncate(0)

    def set_faults(self, mode: str, count: int = 1, delay: float = 0.0,
                   seconds: float | None = None) -> None:
        if mode not in ("http500", "error_code", "slow", "silent"):
            raise ValueError(mode)
        with self.lock:
            if seconds is not None:
                self.outage = {"mode": mode, "delay": delay,
                               "until": time.monotonic() + seconds}
            else:
                self.faults = [{"mode": mode, "delay": delay} for _ in range(count)]

    def next_fault(self) -> dict | None:
        with self.lock:
            if self.outage is not None and time.monotonic() < self.outage["until"]:
                return self.outage
            return self.faults.pop(0) if self.faults else None

    def check(self, body) -> list[dict]:
        return shape.named_errors(self.validator, body)

    def receive(self, body, keys: list[str]) -> tuple[str, str, dict]:
        """Validate and keep one request: (error_code, message, extra)."""
        errors = self.check(body)
        if errors:
            with self.lock:
                self.refused.append({"body": body, "errors": errors})
            return "1", "Dữ liệu không hợp lệ: " + "; ".join(
                f"{e['field']}: {e['message']}" for e in errors[:5]), {"errors": errors}
        service, records = body["service"], body["data"]
        updating = body.get("isUpdating") == "True"
        keys = keys if len(keys) == len(records) else [""] * len(records)
        with self.lock:
            # A record whose key was accepted before is a resend: counted, not kept again, and
            # not checked for order (its create is no second create).
            known = [k for k in keys if k and k in self.keys]
            fresh = [(i, k, r) for i, (k, r) in enumerate(zip(keys, records, strict=True))
                     if not (k and k in self.keys)]
            if known:
                self.duplicates.append({"service": service, "keys": known})
            if not fresh:
                return "0", "Đã nhận trước đó", {"duplicate": True}
            problem = self._out_of_order(service, updating, fresh)
            if problem:
                self.refused.append({"body": body, "errors": [problem]})
                return "2", f"{problem['field']}: {problem['message']}", {"errors": [problem]}
            now = datetime.now(UTC).isoformat()
            for _, key, record in fresh:
                entry = {"service": service, "isUpdating": updating, "key": key,
                         "record": record, "received_at": now}
                if self.journal is not None:
                    self.journal.write(json.dumps(entry, ensure_ascii=False) + "\n")
                    self.journal.flush()  # in the OS before the answer: a kill loses nothing
                self._keep(entry)
        return "0", "Thành công", {}

    def _out_of_order(self, service: str, updating: bool, records: list) -> dict | None:
        known = set(self.dossiers)
        for index, _, record in records:
            code = record["MaHoSo"]
            field = f"data[{index}].MaHoSo"
            if service == shape.DOSSIER_SERVICE and not updating:
                if code in known:
                    return {"field": field, "message": f"hồ sơ {code} đã có, không tạo lại"}
                known.add(code)
            elif code not in known:
                return {"field": field, "message": f"hồ sơ {code} chưa được đồng bộ"}
        return None

    def file(self, body: dict, base_url: str) -> dict:
        """A dossier filed on the portal, to be handed over to the province."""
        with self.lock:
            item = {k: v for k, v in body.items() if k != "TepDinhKem"}
            item.setdefault("SoThuTu", len(self.filed) + 1)
            record = item.get("HoSo")
            if isinstance(record, dict) and body.get("TepDinhKem"):
                record["TaiLieuNop"] = list(record.get("TaiLieuNop") or [])
                for file in body["TepDinhKem"]:
                    file_id = f"{item['SoThuTu']}-{len(self.files) + 1}"
                    self.files[file_id] = base64.b64decode(file.get("NoiDung", ""))
                    record["TaiLieuNop"].append({
                        "TepDinhKemId": file_id, "TenTepDinhKem": file.get("TenTepDinhKem", ""),
                        "MaThanhPhanHoSo": file.get("MaThanhPhanHoSo", ""),
                        "DuongDanTaiTepTin": f"{base_url}tep/{file_id}"})
            if isinstance(record, dict) and record.get("MaHoSo"):
                self.dossiers[str(record["MaHoSo"])] = record
            self.filed.append(item)
            return {"SoThuTu": item["SoThuTu"],
                    "MaHoSo": record.get("MaHoSo") if isinstance(record, dict) else None}

    def handed_over(self, body) -> list[dict]:
        try:
            after = int(body["data"][0]["SauSoThuTu"])
        except (KeyError, IndexError, TypeError, ValueError):
            after = 0
        with self.lock:
            return [item for item in self.filed
                    if isinstance(item.get("SoThuTu"), int) and item["SoThuTu"] > after]

    def authorised(self, header: str) -> bool:
        if not self.username:
            return True
        expected = "Basic " + base64.b64encode(
            f"{self.username}:{self.password}".encode()).decode()
        return hmac.compare_digest(header.encode(), expected.encode())

    def snapshot(self) -> dict:
        with self.lock:
            return {"accepted": list(self.accepted), "refused": list(self.refused),
                    "duplicates": list(self.duplicates), "holding": self.holding,
                    "held_keys": list(self.held_keys)}


def make_handler(portal: Portal):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out in two writes: without TCP_NODELAY each answer waits for the
        # client's delayed ACK (~40 ms), which would make the simulator, not the sync, the limit.
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:  # quiet: the bodies hold personal data
            pass

        def _json(self, status: int, payload: dict) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return ValueError

        def do_GET(self) -> None:
            if self.path.rstrip("/") == CONTROL + "received":
                self._json(200, portal.snapshot())
            elif self.path.startswith("/tep/") and self.path[5:] in portal.files:
                data = portal.files[self.path[5:]]
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                self._json(404, {"error_code": "404", "message": "Không có"})

        def do_POST(self) -> None:
            body = self._body()
            if self.path.startswith(CONTROL):
                self._control(body)
                return
            if not portal.authorised(self.headers.get("Authorization", "")):
                self._json(401, {"error_code": "401", "message": "Sai thông tin xác thực"})
                return
            if body is ValueError:
                self._json(200, {"error_code": "1", "message": "Nội dung không phải JSON",
                                 "errors": [{"field": "(body)", "message": "not JSON"}]})
                return
            fault = portal.next_fault()
            mode = fault["mode"] if fault else ""
            if isinstance(body, dict) and body.get("service") == shape.INTAKE_SERVICE \
                    and mode not in ("http500", "error_code"):
                self._json(200, {"error_code": "0", "message": "Thành công",
                                 "data": portal.handed_over(body)})
                return
            if mode == "http500":
                self._json(500, {"error_code": "500", "message": "Lỗi máy chủ (giả lập)"})
                return
            if mode == "error_code":
                self._json(200, {"error_code": "99", "message": "Hệ thống bận (giả lập)"})
                return
            keys = [k.strip() for k in self.headers.get("Idempotency-Key", "").split(",")
                    if k.strip()]
            code, message, extra = portal.receive(body, keys)
            if mode == "silent":
                with portal.lock:
                    portal.holding += 1
                    portal.held_keys.extend(keys)
                time.sleep(fault["delay"])
                with portal.lock:
                    portal.holding -= 1
                self.close_connection = True
                return
            if mode == "slow":
                time.sleep(fault["delay"])
            self._json(200, {"error_code": code, "message": message, **extra})

        def _control(self, body) -> None:
            action = self.path[len(CONTROL):].rstrip("/")
            body = body if isinstance(body, dict) else {}
            if action == "reset":
                portal.reset()
            elif action == "file":
                host = self.headers.get("Host", "127.0.0.1")
                self._json(200, portal.file(body, f"http://{host}/"))
                return
            elif action == "faults":
                try:
                    seconds = body.get("seconds")
                    portal.set_faults(str(body.get("mode")), int(body.get("count", 1)),
                                      float(body.get("delay", 0)),
                                      None if seconds is None else float(seconds))
                except (TypeError, ValueError):
                    self._json(400, {"error": "mode: http500 | error_code | slow | silent"})
                    return
            else:
                self._json(404, {"error": "unknown control"})
                return
            self._json(200, {"ok": True})

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True


def serve(portal: Portal, host: str = "127.0.0.1", port: int = 0,
          forever: bool = True) -> ThreadingHTTPServer:
    server = _Server((host, port), make_handler(portal))
    if forever:
        print(f"{server.server_port}", flush=True)
        server.serve_forever(poll_interval=0.2)
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Local National Public Service Portal")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--username", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--journal", default="",
                        help="keep what is accepted in this file, and read it back on start")
    args = parser.parse_args(argv)
    try:
        serve(Portal(args.username, args.password, args.journal), args.host, args.port)
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
