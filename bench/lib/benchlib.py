"""Shared helpers for Ferry's benchmark scripts (stdlib only).

Everything here stays on 127.0.0.1: free ports are picked by binding to port 0, every
process is started by us and stopped by its PID (SIGTERM, then SIGKILL), and scratch files
live in one temporary directory that is removed at the end.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
FLOOR = BENCH / "floor"
CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"
NOFILE = 65536


def say(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


def warn(message: str) -> None:
    print(f"WARNING: {message}", file=sys.stderr, flush=True)


def die(message: str) -> None:
    print(f"{Path(sys.argv[0]).name}: {message}", file=sys.stderr, flush=True)
    sys.exit(1)


# --- system packages, limits, pinning --------------------------------------------------

def _present(command: str) -> bool:
    """A command on PATH, or (given as an absolute path, e.g. a header) a file that exists."""
    return Path(command).exists() if command.startswith("/") else shutil.which(command) is not None


def ensure_packages(commands: dict[str, str], install: bool = True) -> None:
    """Installs the Debian package of every command (name -> package) that is missing.

    A command given as an absolute path is a file the package provides (`/usr/include/liburing.h`).
    """
    missing = sorted({package for command, package in commands.items() if not _present(command)})
    if not missing:
        return
    if not install:
        die(f"missing {', '.join(missing)} (and --no-install was given)")
    prefix: list[str] = []
    if os.geteuid() != 0:
        if shutil.which("sudo") is None:
            die(f"need root or sudo to install: {' '.join(missing)}")
        prefix = ["sudo"]
    say(f"installing {' '.join(missing)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(prefix + ["apt-get", "update"], check=True, env=env)
    subprocess.run(prefix + ["apt-get", "install", "-y", "--no-install-recommends"] + missing, check=True, env=env)
    for command, package in commands.items():
        if not _present(command):
            die(f"{command} still missing after installing {package}")


def raise_nofile(limit: int = NOFILE) -> int:
    """Raises RLIMIT_NOFILE for this process and so for every child it starts."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= limit:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, max(limit, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(limit, hard), hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < limit:
        warn(f"RLIMIT_NOFILE is {soft} (hard limit {hard}), below {limit}: raising the hard limit needs "
             f"CAP_SYS_RESOURCE, which this process lacks; connection counts are capped accordingly")
    return soft


def nofile() -> int:
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def proxy_maxconn(wanted: int) -> int:
    """The most client connections a proxy can hold under our fd limit (two fds each, plus a margin)."""
    return min(wanted, (nofile() - 64) // 2)


def cpu_count() -> int:
    return len(os.sched_getaffinity(0))


def pin_prefix(cpu: int | None) -> list[str]:
    """`taskset -c CPU` (it execs the program, so the PID we get is the program's)."""
    if cpu is None or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(cpu)]


def pin_self(cpu: int | None) -> None:
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})


# --- ports -------------------------------------------------------------------------------

_taken: set[int] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (and that we have not handed out)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            port = s.getsockname()[1]
        if port not in _taken:
            _taken.add(port)
            return port


# --- /proc readers -----------------------------------------------------------------------

def proc_stat_fields(pid: int, tid: int | None = None) -> list[str]:
    path = f"/proc/{pid}/task/{tid}/stat" if tid is not None else f"/proc/{pid}/stat"
    with open(path) as f:
        text = f.read()
    return text[text.rindex(")") + 2:].split()  # fields from 3 (state) on


def cpu_seconds(pid: int, tid: int | None = None) -> float:
    """utime + stime of a process (all its threads) or of one thread, in seconds."""
    fields = proc_stat_fields(pid, tid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status(pid: int) -> dict[str, str]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """VmRSS (current) or VmHWM (peak) in MB (MiB)."""
    value = proc_status(pid).get(key, "0 kB").split()[0]
    return int(value) / 1024


def reset_peak_rss(pid: int) -> bool:
    """Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`, Linux ≥ 4.0)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def descriptor_tables(pid: int) -> list[str]:
    """/proc fd directories of a process: its own table plus each Ferry data-plane thread's private one
    (those threads unshare their table, so their sockets are listed only under their task)."""
    tables = [f"/proc/{pid}/fd"]
    for tid, name in sorted(threads(pid).items()):
        if name.startswith("ferry-proxy-"):
            tables.append(f"/proc/{pid}/task/{tid}/fd")
    return tables


def fd_count(pid: int) -> int:
    return sum(len(os.listdir(table)) for table in descriptor_tables(pid))


def threads(pid: int) -> dict[int, str]:
    """tid -> thread name (comm)."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                out[int(tid)] = f.read().strip()
    return out


def all_process_cpu() -> dict[int, tuple[str, float]]:
    """pid -> (command name, utime+stime seconds) for every process visible now."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    text = f.read()
                name = text[text.index("(") + 1:text.rindex(")")]
                fields = text[text.rindex(")") + 2:].split()
                out[int(entry)] = (name, (int(fields[11]) + int(fields[12])) / CLK_TCK)
            except (OSError, ValueError, IndexError):
                pass
    return out


def top_consumers(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]], exclude: set[int],
                  count: int = 3) -> list[tuple[str, float]]:
    """The processes (by name, summed) that used the most CPU between two snapshots, ours excluded.

    Processes that started and ended between the snapshots are not seen.
    """
    used: dict[str, float] = {}
    for pid, (name, seconds) in after.items():
        if pid in exclude:
            continue
        delta = seconds - before[pid][1] if pid in before and before[pid][0] == name else seconds if pid not in before else 0
        if delta >= 0.05:
            used[name] = used.get(name, 0) + delta
    return sorted(used.items(), key=lambda item: -item[1])[:count]


def system_cpu() -> dict[str, list[int]]:
    """Per line of /proc/stat ('cpu', 'cpu0', …): the jiffy counters."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu"):
                name, *values = line.split()
                out[name] = [int(v) for v in values]
    return out


def busy_seconds(before: list[int], after: list[int]) -> tuple[float, float, float]:
    """(task time user+nice+system, irq+softirq, steal) between two /proc/stat samples, in seconds."""
    delta = [a - b for a, b in zip(after, before)]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (delta + [0] * 8)[:8]
    return (user + nice + system) / CLK_TCK, (irq + softirq) / CLK_TCK, steal / CLK_TCK


# --- processes ---------------------------------------------------------------------------

class Process:
    """A child we started; stopped by its PID only."""

    def __init__(self, name: str, argv: list[str], log: Path, cpu: int | None = None, cwd: Path | None = None,
                 env: dict[str, str] | None = None):
        self.name = name
        self.log = log
        self.argv = pin_prefix(cpu) + argv
        self.logfile = open(log, "wb")
        self.popen = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=self.logfile,
                                      stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True)
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            die(f"{self.name} exited with status {self.popen.returncode}; log {self.log}:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self, timeout: float = 10) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                warn(f"{self.name} (pid {self.pid}) did not stop in {timeout:.0f} s, sending SIGKILL")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.popen.wait()
        self.logfile.close()


class Scratch:
    """A temporary directory plus the processes started in it; `with Scratch() as s:` cleans both."""

    def __init__(self, prefix: str, keep: bool = False):
        self.dir = Path(tempfile.mkdtemp(prefix=prefix))
        self.keep = keep
        self.processes: list[Process] = []

    def __enter__(self) -> "Scratch":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return self

    def __exit__(self, kind, value, tb) -> None:
        for process in reversed(self.processes):
            process.stop()
        failed = kind is not None and kind is not KeyboardInterrupt and not (
            kind is SystemExit and getattr(value, "code", 0) in (0, None))
        if self.keep or failed:
            say(f"logs kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def start(self, name: str, argv: list[str], cpu: int | None = None, env: dict[str, str] | None = None) -> Process:
        process = Process(name, argv, self.dir / f"{name}.log", cpu=cpu, cwd=self.dir, env=env)
        self.processes.append(process)
        return process

    def stop(self, process: Process) -> None:
        process.stop()
        self.processes.remove(process)


# --- Redis protocol (just enough) ---------------------------------------------------------

def encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RespReader:
    """Incremental RESP2 parser over a blocking socket."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 20)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buf += chunk

    def _line(self) -> bytes:
        while True:
            index = self.buf.find(b"\r\n")
            if index >= 0:
                line = bytes(self.buf[:index])
                del self.buf[:index + 2]
                return line
            self._fill()

    def read(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            if size < 0:
                return None
            while len(self.buf) < size + 2:
                self._fill()
            data = bytes(self.buf[:size])
            del self.buf[:size + 2]
            return data
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self.read() for _ in range(count)]
        raise ValueError(f"bad RESP line {line!r}")


class RedisError(str):
    pass


class Redis:
    """A tiny blocking Redis client for setup and INFO."""

    def __init__(self, port: int, timeout: float = 5):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.reader = RespReader(self.sock)

    sent = 0

    def call(self, *args):
        data = encode(*args)
        self.sent += len(data)
        self.sock.sendall(data)
        return self.reader.read()

    def info(self, section: str = "") -> dict[str, str]:
        text = self.call("INFO", section) if section else self.call("INFO")
        if isinstance(text, RedisError):
            raise RuntimeError(text)
        out = {}
        for line in text.decode().splitlines():
            if ":" in line and not line.startswith("#"):
                key, _, value = line.partition(":")
                out[key] = value
        return out

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Redis":
        return self

    def __exit__(self, *_) -> None:
        self.close()


def command_calls(info: dict[str, str], command: str) -> int:
    """`calls` of one command from INFO commandstats (0 when never called)."""
    value = info.get(f"cmdstat_{command}", "")
    for part in value.split(","):
        if part.startswith("calls="):
            return int(part[6:])
    return 0


def wait_for_pong(port: int, what: str, timeout: float = 20, process: Process | None = None) -> None:
    """Waits until PING through `port` answers +PONG (for a proxy: a routable backend exists)."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None:
            process.check_alive()
        try:
            with Redis(port, timeout=2) as r:
                reply = r.call("PING")
                if reply == "PONG":
                    return
                last = repr(reply)
        except OSError as error:
            last = str(error)
        time.sleep(0.1)
    die(f"{what} on port {port} did not answer PONG within {timeout:.0f} s (last: {last})"
        + (f"; log:\n{process.tail()}" if process else ""))


# --- the systems under test ----------------------------------------------------------------

def start_listening(scratch: Scratch, name: str, argv: list[str], port: int, what: str, cpu: int | None = None,
                    env: dict[str, str] | None = None) -> tuple[Process, int]:
    """Starts a proxy that listens on `port` and waits until PING through it answers +PONG."""
    process = scratch.start(name, argv, cpu=cpu, env=env)
    wait_for_pong(port, what, process=process)
    return process, port


def start_redis(scratch: Scratch, cpu: int | None = None, name: str = "redis", maxclients: int = 20000) -> tuple[Process, int]:
    port = free_port()
    maxclients = min(maxclients, nofile() - 64)  # redis reserves 32 fds and would lower it itself
    process = scratch.start(name, [
        shutil.which("redis-server") or "redis-server", "--bind", HOST, "--port", str(port),
        "--save", "", "--appendonly", "no", "--protected-mode", "no", "--maxclients", str(maxclients),
        "--dir", str(scratch.dir), "--tcp-backlog", "4096",
    ], cpu=cpu)
    wait_for_pong(port, "redis-server", process=process)
    return process, port


def start_haproxy(scratch: Scratch, redis_port: int, cpu: int | None = None, maxconn: int = 20000) -> tuple[Process, int]:
    port = free_port()
    # HAProxy refuses to start when 2 × maxconn (+ a few) exceeds the fd limit it can get.
    maxconn = proxy_maxconn(maxconn)
    config = scratch.dir / "haproxy.cfg"
    config.write_text(f"""\
# Written by bench/: HAProxy as the classic Redis front, `mode tcp`, one thread, default buffers.
global
    nbthread 1
    maxconn {maxconn}

defaults
    mode tcp
    maxconn {maxconn}
    timeout connect 5s
    timeout client 1m
    timeout server 1m

frontend redis_in
    bind {HOST}:{port}
    default_backend redis

backend redis
    server r1 {HOST}:{redis_port}
""")
    return start_listening(scratch, "haproxy", [shutil.which("haproxy") or "haproxy", "-db", "-f", str(config)], port,
                           "HAProxy", cpu=cpu)


def write_ferry_config(path: Path, port: int, redis_ports: list[int], threads: int = 1, maxconn: int = 20000,
                       select: str = "master", log_level: str = "warning", stats_port: int | None = None) -> None:
    servers = ", ".join(f'"{HOST}:{p}"' for p in redis_ports)
    path.write_text(f"""\
# Written by bench/: Ferry in front of a standalone Redis (it reports ROLE master).
proxy:
  listen: ["{HOST}:{port}"]
  threads: {threads}
  maxconn: {maxconn}
  timeouts: {{ connect: 2s, client_idle: 0, server_idle: 0, client_fin: 5s }}
backends:
  select: {select}
  servers: [{servers}]
  on_down: shutdown-sessions
health:
  interval: 1s
  timeout: 500ms
  rise: 2
  fall: 3
stats:
  listen: "{HOST}:{stats_port or free_port()}"
log:
  level: {log_level}
  format: text
""")


def start_ferry(scratch: Scratch, ferry: Path, redis_port: int, cpu: int | None = None, threads: int = 1,
                maxconn: int = 20000, env: dict[str, str] | None = None, name: str = "ferry") -> tuple[Process, int]:
    port = free_port()
    stats_port = free_port()
    config = scratch.dir / f"{name}.yaml"
    write_ferry_config(config, port, [redis_port], threads=threads, maxconn=maxconn, stats_port=stats_port)
    check = subprocess.run([str(ferry), "check-config", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        die(f"ferry check-config rejected the generated config:\n{check.stderr}{config.read_text()}")
    process, port = start_listening(scratch, name, [str(ferry), "run", "--config", str(config)], port, "Ferry",
                                    cpu=cpu, env=env)
    process.stats_port = stats_port  # the HTTP stats server (`/stats;json`), when this Ferry has one
    return process, port


# The floor relays of bench/floor (C, `RELAY LISTEN_PORT BACKEND_PORT`, both on 127.0.0.1): name -> binary.
FLOOR_RELAYS = {"epoll": "epoll-relay", "uring": "uring-relay"}
# What building them needs (command or file -> Debian package), for ensure_packages.
FLOOR_PACKAGES = {"make": "make", "cc": "gcc", "/usr/include/liburing.h": "liburing-dev"}


def build_floor_relays() -> dict[str, Path]:
    """`make -C bench/floor` (its output to stderr); name -> binary in bench/floor/build/."""
    say("building the floor relays (make -C bench/floor)")
    result = subprocess.run(["make", "-C", str(FLOOR)], stdout=sys.stderr)
    if result.returncode != 0:
        die("make -C bench/floor failed")
    binaries = {name: FLOOR / "build" / binary for name, binary in FLOOR_RELAYS.items()}
    for path in binaries.values():
        if not os.access(path, os.X_OK):
            die(f"{path} not found after make -C bench/floor")
    return binaries


def start_floor_relay(scratch: Scratch, binary: Path, redis_port: int, cpu: int | None = None,
                      name: str | None = None) -> tuple[Process, int]:
    port = free_port()
    return start_listening(scratch, name or binary.name, [str(binary), str(port), str(redis_port)], port, binary.name,
                           cpu=cpu)


def ferry_stats(process: Process) -> dict | None:
    """Ferry's `/stats;json` document, or None when it does not answer (no stats server in this build)."""
    import json
    import urllib.request
    port = getattr(process, "stats_port", None)
    if port is None:
        return None
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/stats;json", timeout=5) as response:
            return json.load(response)
    except (OSError, ValueError):
        return None


# --- Ferry binary ---------------------------------------------------------------------------

BUILD_INFO: dict[str, str] = {}


def git_describe() -> str:
    """HEAD's short hash, and whether the sources differ from it."""
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--", "Sources", "Package.swift"],
                               capture_output=True, text=True).stdout.strip()
    except OSError:
        return "an unknown tree"
    return f"git {commit or '?'}" + (" + uncommitted changes in Sources/Package.swift" if dirty else "")


def ferry_binary(build: bool = True) -> Path:
    """$FERRY_BIN, or a release build in our own scratch path (others may be building in .build)."""
    given = os.environ.get("FERRY_BIN")
    if given:
        path = Path(given).resolve()
        if not os.access(path, os.X_OK):
            die(f"FERRY_BIN={given} is not an executable")
        say(f"using FERRY_BIN={path} (no build)")
        return path
    scratch = os.environ.get("FERRY_BENCH_SCRATCH", ".build-bench")
    path = REPO / scratch / "release" / "ferry"
    if build:
        BUILD_INFO["source"] = "built from " + git_describe()
        if shutil.which("swift") is None:
            die("swift not found; install a Swift 6 toolchain or set FERRY_BIN")
        say(f"building Ferry (swift build -c release --scratch-path {scratch})")
        result = subprocess.run(["swift", "build", "-c", "release", "--product", "ferry", "--scratch-path", scratch],
                                cwd=REPO)
        if result.returncode != 0:
            die("swift build failed")
    if not os.access(path, os.X_OK):
        die(f"{path} not found; build it or set FERRY_BIN")
    return path


def versions(ferry: Path | None) -> dict[str, str]:
    def first_line(argv: list[str]) -> str:
        try:
            out = subprocess.run(argv, capture_output=True, text=True, timeout=10)
            return (out.stdout or out.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    out = {
        "haproxy": first_line(["haproxy", "-v"]),
        "redis-server": first_line(["redis-server", "--version"]),
        "redis-benchmark": first_line(["redis-benchmark", "--version"]),
    }
    if ferry is not None:
        built = time.strftime("%Y-%m-%d %H:%M", time.localtime(ferry.stat().st_mtime))
        out["ferry"] = f"{first_line([str(ferry), 'version'])} ({BUILD_INFO.get('source', 'FERRY_BIN=' + str(ferry))}, binary of {built})"
    return out


def floor_versions(uring_relay: Process | None = None) -> str:
    """The compiler and liburing the floor relays were built with, and the io_uring setup uring-relay got."""
    def first_line(argv: list[str]) -> str:
        try:
            return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "unknown"
    text = f"bench/floor built with {first_line(['cc', '--version'])}, liburing-dev " \
           f"{first_line(['dpkg-query', '-W', '-f', '${Version}', 'liburing-dev'])}"
    if uring_relay is not None:
        setup = next((line for line in uring_relay.tail().splitlines() if line.startswith("uring-relay:")), "")
        text += f" ({setup})" if setup else ""
    return text


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    return {
        "cpu": model,
        "cores": str(os.cpu_count()),
        "kernel": os.uname().release,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }


def nice_n(value: float, floor: int) -> int:
    """Rounds to two significant digits, at least `floor`."""
    value = max(float(floor), value)
    digits = len(str(int(value))) - 2
    return int(round(value / 10 ** digits) * 10 ** digits) if digits > 0 else int(value)


def markdown_table(header: list[str], rows: list[list[str]], right: set[int] | None = None) -> str:
    right = right if right is not None else set(range(1, len(header)))
    widths = [max(len(str(row[i])) for row in [header] + rows) for i in range(len(header))]

    def fmt(row):
        cells = [str(c).rjust(widths[i]) if i in right else str(c).ljust(widths[i]) for i, c in enumerate(row)]
        return "| " + " | ".join(cells) + " |"
    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([fmt(header), sep] + [fmt(r) for r in rows])
