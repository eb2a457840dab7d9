"""The code interpreter's sandbox: model-written Python in its own process, isolated with
bubblewrap (`bwrap`).

Each execution runs `sandbox_launcher.py` under bwrap with
- its own PID, IPC, UTS and network namespaces (`--unshare-net`: no network at all, not even
  the host's loopback), and a new session (no terminal to inject keystrokes into);
- a read-only view of /usr and of the Python installation only (not the project, not the data
  folder, not /etc, not /home), a private /tmp of bounded size, and the thread's working folder
  read-write at /mnt/data;
- when the engine runs as root, an unprivileged user (ENGINE_SANDBOX_UID) for the code;
  otherwise a user namespace;
- resource limits set inside before the code runs: CPU seconds, address space, processes and
  file size, plus a wall-clock limit enforced from outside (the whole process group is killed).

Matplotlib figures left open become PNG images; files the code writes or changes in /mnt/data
are reported so the caller can turn them into API files. Without bwrap the tool refuses (see
`unavailable_reason`), unless ENGINE_CODE_INTERPRETER_MODE=unsandboxed-dev was set explicitly.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

SANDBOX, UNSANDBOXED, OFF = "sandbox", "unsandboxed-dev", "off"
MODES = (SANDBOX, UNSANDBOXED, OFF)
WORKDIR = "/mnt/data"  # where the code sees the thread's files
TMP = "/tmp"  # noqa: S108 - the sandbox's own private tmpfs, not the host's
LAUNCHER = Path(__file__).with_name("sandbox_launcher.py")
LOG_LIMIT = 20_000  # characters of output kept
MAX_OUTPUT_FILES = 20

INSTALL_HINT = (
    "The code interpreter runs code only inside a bubblewrap sandbox, and bubblewrap is not "
    "available on this server{detail}. An administrator can enable it with "
    "`apt-get install bubblewrap` (Debian/Ubuntu; `dnf install bubblewrap` on Fedora), or point "
    "ENGINE_SANDBOX_BWRAP at the bwrap binary. For development only, "
    "ENGINE_CODE_INTERPRETER_MODE=unsandboxed-dev runs code without isolation."
)


class SandboxUnavailable(Exception):
    pass


@dataclass
class Result:
    logs: str
    exit_code: int
    images: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # written or changed, inside the workdir
    stopped: str = ""  # why it was stopped, when it was


def mode() -> str:
    value = settings.ENGINE_CODE_INTERPRETER_MODE
    if value not in MODES:
        raise SandboxUnavailable(
            f"ENGINE_CODE_INTERPRETER_MODE is {value!r}; expected one of {', '.join(MODES)}."
        )
    return value


def workdir_path() -> str:
    """The folder path the code sees (the tool description tells the model)."""
    return WORKDIR if mode() == SANDBOX else "."


# ---------------------------------------------------------------------------------------------
# Availability


_probe_lock = threading.Lock()
_probe: dict[str, str | None] = {}


def unavailable_reason() -> str | None:
    """None when code can run; otherwise the message a failed run shows."""
    current = mode()
    if current == OFF:
        return (
            "The code interpreter is switched off on this server "
            "(ENGINE_CODE_INTERPRETER_MODE=off); an administrator can set it to 'sandbox'."
        )
    if current == UNSANDBOXED:
        return None
    binary = settings.ENGINE_SANDBOX_BWRAP
    with _probe_lock:
        if binary not in _probe:
            reason = _check_bwrap(binary)
            if reason is not None:
                return reason  # not kept: installing bubblewrap must work without a restart
            _probe[binary] = reason
        return _probe[binary]


def _check_bwrap(binary: str) -> str | None:
    found = shutil.which(binary)
    if found is None:
        return INSTALL_HINT.format(detail=f" (`{binary}` was not found)")
    probe = [found, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "--dev", "/dev"]
    probe += ["--proc", "/proc", *_user_namespace(), "true"]
    try:
        subprocess.run(probe, check=True, capture_output=True, timeout=10)  # noqa: S603
    except (subprocess.SubprocessError, OSError) as error:
        detail = getattr(error, "stderr", b"") or str(error).encode()
        return INSTALL_HINT.format(
            detail=f" (`{found}` failed to start a sandbox: "
            f"{detail.decode(errors='replace').strip()[:200]})"
        )
    return None


def forget_probe() -> None:
    with _probe_lock:
        _probe.clear()


def _user_namespace() -> list[str]:
    # As root the launcher drops to ENGINE_SANDBOX_UID itself; otherwise bwrap needs a user
    # namespace to build the sandbox at all.
    return [] if os.geteuid() == 0 else ["--unshare-user"]


# ---------------------------------------------------------------------------------------------
# Running code


def _read_only_binds() -> list[str]:
    args: list[str] = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64"):
        path = Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    for extra in ("/etc/ld.so.cache", "/etc/localtime", "/etc/alternatives"):
        args += ["--ro-bind-try", extra, extra]
    python_roots = {
        Path(p).resolve()
        for p in (sys.base_prefix, sys.prefix, Path(sys.executable).resolve().parent.parent)
    }
    for root in sorted(python_roots):
        if not str(root).startswith("/usr"):
            args += [*_parents(root), "--ro-bind", str(root), str(root)]
    return args


def _parents(path: Path) -> list[str]:
    """bwrap makes missing parent folders root-only; make them traversable."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _bwrap_command(job: Path, workdir: Path, outputs: Path, config: dict) -> list[str]:
    return [
        shutil.which(settings.ENGINE_SANDBOX_BWRAP) or settings.ENGINE_SANDBOX_BWRAP,
        *_read_only_binds(),
        "--perms", "0755", "--dir", "/opt",
        "--ro-bind", str(LAUNCHER), "/opt/launcher.py",
        "--ro-bind", str(job), "/opt/job",
        "--bind", str(outputs), "/opt/outputs",
        "--perms", "0755", "--dir", "/mnt",
        "--bind", str(workdir), WORKDIR,
        "--perms", "1777", "--size", str(config["file_bytes"]), "--tmpfs", TMP,
        "--dev", "/dev",
        "--proc", "/proc",
        "--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts",
        "--unshare-cgroup-try", *(_user_namespace()),
        "--die-with-parent", "--new-session",
        "--hostname", "sandbox",
        "--chdir", WORKDIR,
        "--clearenv",
        "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
        "--setenv", "HOME", TMP,
        "--setenv", "LANG", "C.UTF-8",
        "--setenv", "MPLBACKEND", "Agg",
        "--setenv", "MPLCONFIGDIR", f"{TMP}/matplotlib",
        "--setenv", "OPENBLAS_NUM_THREADS", "1",
        "--setenv", "OMP_NUM_THREADS", "1",
        sys.executable, "-I", "-u", "-B", "/opt/launcher.py", json.dumps(config),
    ]  # fmt: skip


def _limits() -> dict:
    return {
        "cpu_seconds": settings.ENGINE_SANDBOX_CPU_SECONDS,
        "memory_bytes": settings.ENGINE_SANDBOX_MEMORY_MB * 1024 * 1024,
        "file_bytes": settings.ENGINE_SANDBOX_MAX_FILE_MB * 1024 * 1024,
        "processes": settings.ENGINE_SANDBOX_MAX_PROCESSES,
    }


def _regular(path: Path) -> bool:
    """A regular file, not a link (the sandboxed code may plant links to host files)."""
    try:
        return stat.S_ISREG(path.lstat().st_mode)
    except OSError:
        return False


def open_no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    seen = {}
    for path in folder.rglob("*"):
        if _regular(path):
            info = path.lstat()
            seen[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return seen


_cache_lock = threading.Lock()


def _matplotlib_cache() -> Path | None:
    """A matplotlib font cache built once outside the sandbox (None without matplotlib)."""
    folder = Path(settings.ENGINE_SANDBOX_DIR) / "matplotlib"
    if any(folder.glob("fontlist-*.json")):
        return folder
    with _cache_lock:  # concurrent runs: one builds, the others wait for it
        return _build_matplotlib_cache(folder)


def _build_matplotlib_cache(folder: Path) -> Path | None:
    if any(folder.glob("fontlist-*.json")):
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [sys.executable, "-c", "import matplotlib.font_manager"],
            env={**os.environ, "MPLCONFIGDIR": str(folder), "MPLBACKEND": "Agg"},
            capture_output=True,
            timeout=120,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return folder if any(folder.glob("fontlist-*.json")) else None


def _own(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is None:
        return
    os.chown(path, uid, gid if gid is not None else uid)
    for child in path.rglob("*"):
        with contextlib.suppress(OSError):
            os.chown(child, uid, gid if gid is not None else uid, follow_symlinks=False)


def run(code: str, workdir: Path) -> Result:
    """Run `code` with `workdir` as its working folder. Raises SandboxUnavailable."""
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)
    sandboxed = mode() == SANDBOX
    workdir.mkdir(parents=True, exist_ok=True)
    before = _snapshot(workdir)
    uid = gid = None
    if sandboxed and os.geteuid() == 0:
        uid, gid = settings.ENGINE_SANDBOX_UID, settings.ENGINE_SANDBOX_UID
    with tempfile.TemporaryDirectory(prefix="engine-sandbox-") as scratch:
        job, outputs = Path(scratch, "job"), Path(scratch, "outputs")
        job.mkdir()
        outputs.mkdir()
        (job / "code.py").write_text(code, encoding="utf-8")
        cache = _matplotlib_cache()
        if cache is not None:
            shutil.copytree(cache, job / "matplotlib")
        # The sandbox's unprivileged user reads the job (the code) and writes the outputs.
        for folder in (Path(scratch), job, outputs):
            os.chmod(folder, 0o755)  # noqa: S103
        _own(outputs, uid, gid)
        _own(workdir, uid, gid)
        config = {
            **_limits(),
            "uid": uid,
            "gid": gid,
            "workdir": WORKDIR if sandboxed else str(workdir),
            "outputs": "/opt/outputs" if sandboxed else str(outputs),
            "code": "/opt/job/code.py" if sandboxed else str(job / "code.py"),
            "matplotlib_cache": ("/opt/job/matplotlib" if sandboxed else str(job / "matplotlib"))
            if cache is not None
            else "",
        }
        if sandboxed:
            command = _bwrap_command(job, workdir, outputs, config)
            env = None
        else:
            command = [sys.executable, "-I", "-u", "-B", str(LAUNCHER), json.dumps(config)]
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(workdir),
                "MPLBACKEND": "Agg",
                "MPLCONFIGDIR": str(Path(scratch, "mplconfig")),
            }
        log_path = Path(scratch, "logs")
        exit_code, stopped = _execute(command, env, log_path)
        logs = _read_logs(log_path)
        images = []
        for number, path in enumerate(sorted(outputs.glob("figure-*.png"))):
            # The code could have left a link to a host file there: only regular files count.
            if not _regular(path):
                continue
            handle, name = tempfile.mkstemp(prefix=f"figure-{number}-", suffix=".png")
            with os.fdopen(handle, "wb") as kept, open(path, "rb", opener=open_no_follow) as source:
                shutil.copyfileobj(source, kept)
            images.append(Path(name))
    after = _snapshot(workdir)
    changed = [name for name, stat in after.items() if before.get(name) != stat]
    files = [workdir / name for name in sorted(changed)[:MAX_OUTPUT_FILES]]
    if stopped:
        logs = (logs + "\n" if logs else "") + stopped
    return Result(logs=logs, exit_code=exit_code, images=images, files=files, stopped=stopped)


def _execute(command: list[str], env: dict | None, log_path: Path) -> tuple[int, str]:
    wall = settings.ENGINE_SANDBOX_WALL_SECONDS
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our launcher, the code as a file
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            code = process.wait(timeout=wall)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return -9, f"[Execution stopped: it ran longer than the {wall:g} s time limit.]"
    return code, _stop_reason(code)


def _stop_reason(code: int) -> str:
    signalled = -code if code < 0 else code - 128 if code > 128 else 0
    if signalled == signal.SIGXCPU or (signalled == signal.SIGKILL and code != -9):
        return (
            "[Execution stopped: it used more than the "
            f"{settings.ENGINE_SANDBOX_CPU_SECONDS} s CPU time limit.]"
        )
    if signalled == signal.SIGXFSZ:
        return (
            "[Execution stopped: it wrote a file larger than the "
            f"{settings.ENGINE_SANDBOX_MAX_FILE_MB} MB limit.]"
        )
    if signalled:
        return f"[Execution stopped by signal {signal.Signals(signalled).name}.]"
    return ""


def _read_logs(path: Path) -> str:
    with open(path, "rb") as handle:
        data = handle.read(LOG_LIMIT * 4 + 1)
    text = data.decode(errors="replace")
    if len(text) > LOG_LIMIT:
        text = text[:LOG_LIMIT] + "\n[… output truncated]"
    return text.rstrip("\n")
