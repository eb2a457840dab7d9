"""The code interpreter's sandbox: model-written Python in its own process, isolated with
bubblewrap (`bwrap`).

Each execution runs `sandbox_launcher.py` under bwrap with
- its own PID, IPC, UTS and network namespaces (`--unshare-net`: no network at all, not even
  the host's loopback), and a new session (no terminal to inject keystrokes into);
- a read-only view of /usr and of the Python installation only (not the project, not the data
  folder, not /etc, not /home), a private /tmp of bounded size, and the thread's working folder
  read-write at /mnt/data;
- when the engine runs as root, an unprivileged user of its own for the code: one of
  ENGINE_SANDBOX_UIDS users from ENGINE_SANDBOX_UID up, held (by a file lock, so across worker
  processes too) by one sandbox at a time, so one sandbox's processes never count against
  another's process limit; otherwise a user namespace of its own (the kernel counts processes
  per user namespace);
- resource limits set inside before the code runs: CPU seconds, address space, processes and
  file size, plus limits watched from outside while it runs: wall-clock time, what it writes
  (ENGINE_SANDBOX_RUN_MB per run, ENGINE_SANDBOX_FOLDER_MB for the thread's folder, a number of
  files) and the run being cancelled; any of them kills the whole sandbox at once.

Matplotlib figures left open become PNG images (at most MAX_FIGURES a call); files the code
writes or changes in /mnt/data are reported so the caller can turn them into API files. What is
not kept is said at the end of the logs. Without bwrap the tool refuses (see
`unavailable_reason`), unless ENGINE_CODE_INTERPRETER_MODE=unsandboxed-dev was set explicitly; a
sandbox that cannot start raises SandboxUnavailable, never passes bwrap's complaint off as the
code's output.
"""

from __future__ import annotations

import contextlib
import fcntl
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
import time
from collections.abc import Callable, Iterator
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
MAX_OUTPUT_FILES = 20  # written files returned as API files, per call
MAX_FIGURES = 10  # figures kept, per call
MAX_ENTRIES = 10_000  # files and folders in the working folder and the outputs
WATCH_SECONDS = 0.1  # how often a running sandbox's writes and time are checked
CANCEL_CHECK_SECONDS = 0.5  # how often the caller is asked whether the run was cancelled
# The launcher's first line: without it, the sandbox never started (bwrap said why instead).
STARTED = "\x00sandbox started\x00"
CANCELLED = "[Execution stopped: the run was cancelled.]"

INSTALL_HINT = (
    "The code interpreter runs code only inside a bubblewrap sandbox, and bubblewrap is not "
    "available on this server{detail}. An administrator can enable it with "
    "`apt-get install bubblewrap` (Debian/Ubuntu; `dnf install bubblewrap` on Fedora), or point "
    "ENGINE_SANDBOX_BWRAP at the bwrap binary. For development only, "
    "ENGINE_CODE_INTERPRETER_MODE=unsandboxed-dev runs code without isolation."
)
NO_START = "The code interpreter's sandbox could not start on this server: {detail}"


class SandboxUnavailable(Exception):
    pass


@dataclass
class Result:
    logs: str
    exit_code: int
    images: list[Path] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # written or changed, inside the workdir
    stopped: str = ""  # why it was stopped, when it was
    dropped: list[str] = field(default_factory=list)  # what was not kept, in words
    written: int = 0  # bytes kept: files written or changed, and figures
    cancelled: bool = False


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


def run_quota() -> int:
    """Bytes the code may write in one run (files in its folder and figures)."""
    return settings.ENGINE_SANDBOX_RUN_MB * 1024 * 1024


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
    """Start a real sandbox, exactly as code runs (same mounts, same launcher), with no code."""
    if shutil.which(binary) is None:
        return INSTALL_HINT.format(detail=f" (`{binary}` was not found)")
    with tempfile.TemporaryDirectory(prefix="engine-sandbox-probe-") as folder:
        try:
            with _sandbox_user(sandboxed=True) as uid:
                _launch("", Path(folder), uid=uid, sandboxed=True, budget=1024 * 1024)
        except SandboxUnavailable as error:
            return str(error)
    return None


def forget_probe() -> None:
    with _probe_lock:
        _probe.clear()


def _user_namespace() -> list[str]:
    # As root the launcher drops to a sandbox user itself; otherwise bwrap needs a user
    # namespace to build the sandbox at all (and the kernel counts its processes apart).
    return [] if os.geteuid() == 0 else ["--unshare-user"]


@contextlib.contextmanager
def _sandbox_user(*, sandboxed: bool) -> Iterator[int | None]:
    """As root: a user id no other sandbox is using right now (held until the block ends)."""
    if not sandboxed or os.geteuid() != 0:
        yield None
        return
    folder = Path(settings.ENGINE_SANDBOX_DIR) / "users"
    folder.mkdir(parents=True, exist_ok=True)
    count = max(1, settings.ENGINE_SANDBOX_UIDS)
    deadline = time.monotonic() + settings.ENGINE_SANDBOX_WALL_SECONDS
    while True:
        for slot in range(count):
            handle = open(folder / f"{slot}.lock", "a")  # noqa: SIM115 - held while the code runs
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield settings.ENGINE_SANDBOX_UID + slot
            finally:
                handle.close()  # releases the lock
            return
        if time.monotonic() >= deadline:
            raise SandboxUnavailable(
                f"All {count} sandbox users are busy running other code; try again shortly "
                "(an administrator can raise ENGINE_SANDBOX_UIDS)."
            )
        time.sleep(0.1)  # another worker's sandbox finishes within its wall-clock limit


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
        # The private /tmp first: Python (a venv in a project cloned under /tmp) is bound
        # after it, inside it, instead of being hidden by it.
        "--perms", "1777", "--size", str(config["file_bytes"]), "--tmpfs", TMP,
        *_read_only_binds(),
        "--perms", "0755", "--dir", "/opt",
        "--ro-bind", str(LAUNCHER), "/opt/launcher.py",
        "--ro-bind", str(job), "/opt/job",
        "--bind", str(outputs), "/opt/outputs",
        "--perms", "0755", "--dir", "/mnt",
        "--bind", str(workdir), WORKDIR,
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
        "max_figures": MAX_FIGURES,
        "started": STARTED,
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


@dataclass
class _Usage:
    total: int = 0  # bytes of regular files
    new: int = 0  # bytes of files new or changed since the snapshot
    entries: int = 0


def _usage(folder: Path, before: dict[str, tuple[int, int]], into: _Usage) -> _Usage:
    """Walk `folder` without following links; stops counting past MAX_ENTRIES."""
    stack = [folder]
    while stack and into.entries <= MAX_ENTRIES:
        try:
            listing = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in listing:
            into.entries += 1
            try:
                info = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if stat.S_ISDIR(info.st_mode):
                stack.append(Path(entry.path))
            elif stat.S_ISREG(info.st_mode):
                size = max(info.st_size, info.st_blocks * 512)
                into.total += size
                relative = os.path.relpath(entry.path, folder)
                if before.get(relative) != (info.st_size, info.st_mtime_ns):
                    into.new += size
    return into


@dataclass
class _Quota:
    """What one execution may write: watched while it runs, and enforced after it."""

    workdir: Path
    outputs: Path
    before: dict[str, tuple[int, int]]
    budget: int  # bytes this execution may write
    folder: int  # bytes the working folder may hold

    def exceeded(self) -> str:
        used = _usage(self.workdir, self.before, _Usage())
        used = _usage(self.outputs, {}, used)
        if used.entries > MAX_ENTRIES:
            return f"[Execution stopped: it made more than {MAX_ENTRIES} files.]"
        if used.new > self.budget:
            return (
                "[Execution stopped: it wrote more than the "
                f"{_megabytes(self.budget)} this run could still write.]"
            )
        if used.total > self.folder and used.new:
            return (
                "[Execution stopped: the working folder would hold more than its "
                f"{_megabytes(self.folder)} limit.]"
            )
        return ""


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size // 1024} kB"
    return f"{round(size / (1024 * 1024), 1):g} MB"


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


def run(
    code: str,
    workdir: Path,
    *,
    budget: int | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> Result:
    """Run `code` with `workdir` as its working folder, writing at most `budget` bytes
    (ENGINE_SANDBOX_RUN_MB when None); `cancelled()` true stops it at once. Raises
    SandboxUnavailable, also when the sandbox could not start."""
    reason = unavailable_reason()
    if reason:
        raise SandboxUnavailable(reason)
    sandboxed = mode() == SANDBOX
    workdir.mkdir(parents=True, exist_ok=True)
    with _sandbox_user(sandboxed=sandboxed) as uid:
        try:
            return _launch(
                code,
                workdir,
                uid=uid,
                sandboxed=sandboxed,
                budget=run_quota() if budget is None else budget,
                cancelled=cancelled,
            )
        except SandboxUnavailable:
            forget_probe()  # whatever broke, the next run checks again
            raise


def _launch(
    code: str,
    workdir: Path,
    *,
    uid: int | None,
    sandboxed: bool,
    budget: int,
    cancelled: Callable[[], bool] | None = None,
) -> Result:
    before = _snapshot(workdir)
    folder_bytes = _usage(workdir, {}, _Usage()).total
    gid = uid
    with tempfile.TemporaryDirectory(prefix="engine-sandbox-") as scratch:
        job, outputs = Path(scratch, "job"), Path(scratch, "outputs")
        job.mkdir()
        outputs.mkdir()
        (job / "code.py").write_text(code, encoding="utf-8")
        cache = _matplotlib_cache() if code else None
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
        quota = _Quota(
            workdir=workdir,
            outputs=outputs,
            before=before,
            budget=budget,
            folder=max(settings.ENGINE_SANDBOX_FOLDER_MB * 1024 * 1024, folder_bytes),
        )
        log_path = Path(scratch, "logs")
        exit_code, stopped = _execute(command, env, log_path, quota, cancelled)
        started, logs = _read_logs(log_path)
        if not started and not stopped:
            detail = logs.strip() or f"it exited with status {exit_code} before running the code"
            raise SandboxUnavailable(NO_START.format(detail=detail[:500]))
        images, dropped, written = _keep_figures(outputs, budget)
    files, more_dropped, more_written = _keep_files(workdir, before, budget - written, quota)
    dropped += more_dropped
    notes = [stopped] if stopped else []
    if dropped:
        notes.append("[Not kept: " + "; ".join(dropped) + ".]")
    if notes:
        logs = (logs + "\n" if logs else "") + "\n".join(notes)
    return Result(
        logs=logs,
        exit_code=exit_code,
        images=images,
        files=files,
        stopped=stopped,
        dropped=dropped,
        written=written + more_written,
        cancelled=stopped == CANCELLED,
    )


def _keep_figures(outputs: Path, budget: int) -> tuple[list[Path], list[str], int]:
    """The first MAX_FIGURES figures, copied out of the sandbox's outputs."""
    images: list[Path] = []
    written = 0
    # The code could have left links to host files there: only regular files count.
    found = [p for p in sorted(outputs.glob("figure-*.png")) if _regular(p)]
    skipped = len(list(outputs.glob("figure-*.skipped")))  # the launcher did not draw them
    for number, path in enumerate(found[:MAX_FIGURES]):
        size = path.lstat().st_size
        if written + size > budget:
            break
        handle, name = tempfile.mkstemp(prefix=f"figure-{number}-", suffix=".png")
        with os.fdopen(handle, "wb") as kept, open(path, "rb", opener=open_no_follow) as source:
            shutil.copyfileobj(source, kept)
        images.append(Path(name))
        written += size
    dropped = []
    if len(found) + skipped > len(images):
        dropped.append(
            f"{len(found) + skipped - len(images)} more figure(s) (at most {MAX_FIGURES} a call, "
            f"{_megabytes(budget)} in all)"
        )
    return images, dropped, written


def _keep_files(
    workdir: Path, before: dict[str, tuple[int, int]], budget: int, quota: _Quota
) -> tuple[list[Path], list[str], int]:
    """The files the code wrote or changed that fit the quotas (the others are deleted), and
    the first MAX_OUTPUT_FILES of them to return."""
    after = _snapshot(workdir)
    changed = sorted(name for name, seen in after.items() if before.get(name) != seen)
    changed_set = set(changed)
    unchanged = sum(size for name, (size, _) in after.items() if name not in changed_set)
    room = MAX_ENTRIES - (len(after) - len(changed))  # files the folder may still take
    kept: list[str] = []
    removed: list[str] = []
    written = 0
    for name in changed:
        size = after[name][0]
        fits = written + size <= budget and unchanged + written + size <= quota.folder
        if fits and len(kept) < room:
            kept.append(name)
            written += size
        else:
            with contextlib.suppress(OSError):
                (workdir / name).unlink()
            removed.append(name)
    dropped = []
    if removed:
        shown = ", ".join(removed[:5]) + (
            f" and {len(removed) - 5} more" if len(removed) > 5 else ""
        )
        dropped.append(
            f"{shown} (deleted: over the {_megabytes(quota.budget)} this run could still "
            f"write, the {_megabytes(quota.folder)} the thread's folder may hold or its "
            f"{MAX_ENTRIES} files)"
        )
    if len(kept) > MAX_OUTPUT_FILES:
        dropped.append(
            f"{len(kept) - MAX_OUTPUT_FILES} more written file(s) stay in {WORKDIR} but are not "
            f"returned (at most {MAX_OUTPUT_FILES} a call)"
        )
    return [workdir / name for name in kept[:MAX_OUTPUT_FILES]], dropped, written


def _execute(
    command: list[str],
    env: dict | None,
    log_path: Path,
    quota: _Quota,
    cancelled: Callable[[], bool] | None,
) -> tuple[int, str]:
    wall = settings.ENGINE_SANDBOX_WALL_SECONDS
    started = time.monotonic()
    next_cancel_check = started + CANCEL_CHECK_SECONDS
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
            while True:
                try:
                    code = process.wait(timeout=WATCH_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    pass
                now = time.monotonic()
                stopped = ""
                if now - started >= wall:
                    stopped = f"[Execution stopped: it ran longer than the {wall:g} s time limit.]"
                elif cancelled is not None and now >= next_cancel_check:
                    next_cancel_check = now + CANCEL_CHECK_SECONDS
                    stopped = CANCELLED if cancelled() else ""
                stopped = stopped or quota.exceeded()
                if stopped:
                    _kill(process)
                    return -9, stopped
        except BaseException:
            _kill(process)  # never leave a sandbox running behind an error
            raise
    # Writes in its last moments are enforced afterwards (_keep_files deletes what is over).
    return code, _stop_reason(code)


def _kill(process: subprocess.Popen) -> None:
    # bwrap leads its own process group; with --die-with-parent everything inside dies with it.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


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


def _read_logs(path: Path) -> tuple[bool, str]:
    """(whether the launcher started, the output after its first line)."""
    with open(path, "rb") as handle:
        data = handle.read(LOG_LIMIT * 4 + len(STARTED) + 2)
    text = data.decode(errors="replace")
    started = text.startswith(STARTED + "\n")
    if started:
        text = text[len(STARTED) + 1 :]
    if len(text) > LOG_LIMIT:
        text = text[:LOG_LIMIT] + "\n[… output truncated]"
    return started, text.rstrip("\n")
