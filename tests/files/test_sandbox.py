"""The code interpreter's sandbox itself (engine.files.sandbox), run for real with bubblewrap:
no network, CPU, wall-clock, memory, process and file-size limits, written files and figures
come back, and the host's files stay out of reach."""

from __future__ import annotations

import socket
import threading

import pytest

from engine.files import sandbox


@pytest.fixture
def workdir(tmp_path):
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


@pytest.fixture
def tight(settings):
    settings.ENGINE_CODE_INTERPRETER_MODE = "sandbox"
    settings.ENGINE_SANDBOX_CPU_SECONDS = 1
    settings.ENGINE_SANDBOX_WALL_SECONDS = 5.0
    settings.ENGINE_SANDBOX_MEMORY_MB = 256
    settings.ENGINE_SANDBOX_MAX_PROCESSES = 16
    settings.ENGINE_SANDBOX_MAX_FILE_MB = 1
    sandbox.forget_probe()
    return settings


@pytest.fixture
def listener():
    """A TCP server on the host's loopback that answers "hello" to whoever connects."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(5)

    def serve():
        try:
            connection, _ = server.accept()
        except OSError:
            return
        connection.sendall(b"hello")
        connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    server.close()


def test_prints_come_back_as_logs(tight, workdir):
    result = sandbox.run("print('hi from the sandbox'); print(2 + 2)", workdir)
    assert result.logs == "hi from the sandbox\n4"
    assert result.exit_code == 0 and not result.stopped


def test_no_network_not_even_the_hosts_loopback(tight, workdir, listener):
    with socket.create_connection(("127.0.0.1", listener), timeout=5) as reachable:
        assert reachable.recv(5) == b"hello"  # the host can reach it: the sandbox must not
    code = (
        "import socket\n"
        f"socket.create_connection(('127.0.0.1', {listener}), timeout=3).recv(5)\n"
        "print('connected')"
    )
    result = sandbox.run(code, workdir)
    assert "connected" not in result.logs
    assert "ConnectionRefusedError" in result.logs or "unreachable" in result.logs
    dns = sandbox.run("import socket; socket.getaddrinfo('pypi.org', 443)", workdir)
    assert "gaierror" in dns.logs


def test_cpu_time_limit(tight, workdir):
    result = sandbox.run("while True:\n    pass", workdir)
    assert result.stopped == "[Execution stopped: it used more than the 1 s CPU time limit.]"
    assert result.logs.endswith(result.stopped)


def test_wall_clock_limit(tight, workdir):
    tight.ENGINE_SANDBOX_WALL_SECONDS = 1.0
    result = sandbox.run("import time\nprint('waiting', flush=True)\ntime.sleep(30)", workdir)
    assert result.stopped == "[Execution stopped: it ran longer than the 1 s time limit.]"
    assert result.logs.startswith("waiting")


def test_memory_limit(tight, workdir):
    result = sandbox.run("block = bytearray(512 * 1024 * 1024)\nprint('allocated')", workdir)
    assert "MemoryError" in result.logs and "allocated" not in result.logs


def test_process_limit(tight, workdir):
    code = (
        "import os\n"
        "children = 0\n"
        "try:\n"
        "    for _ in range(64):\n"
        "        if os.fork() == 0:\n"
        "            import time; time.sleep(2); os._exit(0)\n"
        "        children += 1\n"
        "except OSError as error:\n"
        "    print('refused after', children, type(error).__name__)\n"
    )
    result = sandbox.run(code, workdir)
    assert "refused after" in result.logs
    assert int(result.logs.split()[2]) < 16


def test_file_size_limit(tight, workdir):
    result = sandbox.run("open('big.bin', 'wb').write(b'x' * (2 * 1024 * 1024))", workdir)
    assert "File too large" in result.logs


def test_written_files_and_figures_come_back(tight, workdir):
    (workdir / "input.csv").write_text("x,y\n1,2\n")
    code = (
        "import csv\n"
        "rows = list(csv.DictReader(open('input.csv')))\n"
        "open('/mnt/data/out.txt', 'w').write('rows: %d' % len(rows))\n"
        "import matplotlib.pyplot as plt\n"
        "plt.plot([1, 2, 3], [1, 4, 9])\n"
        "print('done')\n"
    )
    tight.ENGINE_SANDBOX_CPU_SECONDS = 10
    tight.ENGINE_SANDBOX_MEMORY_MB = 1024
    result = sandbox.run(code, workdir)
    assert result.logs == "done", result.logs
    assert [p.name for p in result.files] == ["out.txt"]  # input.csv was not changed
    assert (workdir / "out.txt").read_text() == "rows: 1"
    (image,) = result.images
    assert image.read_bytes().startswith(b"\x89PNG")
    image.unlink()


def test_host_files_are_out_of_reach(tight, workdir, settings):
    code = (
        "import os\n"
        f"print(os.path.exists({str(settings.BASE_DIR / 'manage.py')!r}))\n"
        f"print(os.path.exists({str(settings.DATA_DIR)!r}))\n"
        "print(os.path.exists('/etc/passwd'), os.getuid() != 0)\n"
        "open('/usr/evil', 'w')\n"
    )
    result = sandbox.run(code, workdir)
    assert result.logs.splitlines()[:3] == ["False", "False", "False True"]
    assert "Read-only file system" in result.logs or "Permission denied" in result.logs


def test_errors_show_the_codes_own_traceback(tight, workdir):
    result = sandbox.run("def f():\n    return 1 / 0\nf()", workdir)
    assert 'File "<code>", line 2, in f' in result.logs
    assert result.logs.endswith("ZeroDivisionError: division by zero")
    assert "launcher" not in result.logs


def test_missing_bubblewrap_refuses_with_how_to_enable_it(tight, workdir):
    tight.ENGINE_SANDBOX_BWRAP = "/nonexistent/bwrap"
    with pytest.raises(sandbox.SandboxUnavailable) as caught:
        sandbox.run("print(1)", workdir)
    assert "apt-get install bubblewrap" in str(caught.value)
    assert "unsandboxed-dev" in str(caught.value)


def test_bubblewrap_installed_later_is_found_without_a_restart(tight, tmp_path):
    import shutil

    later = tmp_path / "bin" / "bwrap"
    tight.ENGINE_SANDBOX_BWRAP = str(later)
    assert "apt-get install bubblewrap" in sandbox.unavailable_reason()
    later.parent.mkdir()
    later.symlink_to(shutil.which("bwrap"))  # the administrator installs it
    assert sandbox.unavailable_reason() is None


def test_unsandboxed_dev_mode_runs_without_bubblewrap(tight, workdir):
    tight.ENGINE_SANDBOX_BWRAP = "/nonexistent/bwrap"
    tight.ENGINE_CODE_INTERPRETER_MODE = "unsandboxed-dev"
    result = sandbox.run("open('made.txt', 'w').write('ok'); print('ran')", workdir)
    assert result.logs == "ran" and [p.name for p in result.files] == ["made.txt"]


def test_off_mode_refuses(tight, workdir):
    tight.ENGINE_CODE_INTERPRETER_MODE = "off"
    with pytest.raises(sandbox.SandboxUnavailable) as caught:
        sandbox.run("print(1)", workdir)
    assert "switched off" in str(caught.value)


def test_links_to_host_files_never_come_back(tight, workdir, tmp_path):
    secret = tmp_path / "host-secret.txt"
    secret.write_text("host secret")
    code = (
        "import os\n"
        f"os.symlink({str(secret)!r}, '/mnt/data/stolen.txt')\n"
        f"os.symlink({str(secret)!r}, '/opt/outputs/figure-999.png')\n"
        "open('/mnt/data/honest.txt', 'w').write('mine')\n"
    )
    result = sandbox.run(code, workdir)
    assert [p.name for p in result.files] == ["honest.txt"]
    assert result.images == []


def test_inputs_are_never_written_through_planted_links(tight, workdir, tmp_path, db):
    from django.core.files.base import ContentFile

    from engine.files.models import File
    from engine.files.tools import _place_inputs

    data = File.store(
        filename="data.csv", purpose="assistants", upload=ContentFile(b"a,b\n", name="x")
    )
    outside = tmp_path / "outside.txt"
    (workdir / "data.csv").symlink_to(outside)  # as code from an earlier run could have
    _place_inputs(workdir, [data.pk])
    assert not outside.exists()
    assert not (workdir / "data.csv").is_symlink()
    assert (workdir / "data.csv").read_bytes() == b"a,b\n"


# --- Starting: a project under /tmp, and a sandbox that cannot start -------------------------


def test_python_in_a_venv_under_tmp_runs_in_the_sandbox(tmp_path):
    """A project cloned under /tmp has its venv there: the sandbox's private /tmp must not
    hide it (the sandbox binds Python inside its /tmp, not under it)."""
    import os
    import site
    import subprocess
    import sys

    from django.conf import settings as django_settings

    assert str(tmp_path).startswith("/tmp/")  # noqa: S108 - where the bug was
    venv = tmp_path / "venv"
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    script = (
        "import sys, django; django.setup()\n"
        "from pathlib import Path\n"
        "from engine.files import sandbox\n"
        "print(sandbox.unavailable_reason())\n"
        "print(sandbox.run('print(6 * 7)', Path(sys.argv[1])).logs)\n"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(django_settings.BASE_DIR), *site.getsitepackages()]),
        "DJANGO_SETTINGS_MODULE": "dashboard.settings",
        "ENGINE_CODE_INTERPRETER_MODE": "sandbox",
        "ENGINE_SANDBOX_DIR": str(tmp_path / "sandbox"),
    }
    done = subprocess.run(
        [str(venv / "bin" / "python"), "-c", script, str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["None", "42"], done.stdout


@pytest.fixture
def break_launch(monkeypatch):
    """Make bwrap work but the sandbox the code runs in impossible to build."""
    real = sandbox._bwrap_command

    def broken(*args, **kwargs):
        binary, *rest = real(*args, **kwargs)
        return [binary, "--ro-bind", "/nonexistent-source", "/x", *rest]

    return lambda: monkeypatch.setattr(sandbox, "_bwrap_command", broken)


def test_the_availability_probe_starts_a_real_sandbox(tight, break_launch):
    break_launch()
    reason = sandbox.unavailable_reason()
    assert reason is not None
    assert reason.startswith("The code interpreter's sandbox could not start on this server:")
    assert "nonexistent-source" in reason


def test_a_sandbox_that_cannot_start_raises_instead_of_returning_output(
    tight, workdir, break_launch
):
    assert sandbox.unavailable_reason() is None  # it worked when first checked
    break_launch()
    with pytest.raises(sandbox.SandboxUnavailable) as caught:
        sandbox.run("print('never')", workdir)
    assert "could not start" in str(caught.value) and "nonexistent-source" in str(caught.value)
    assert "could not start" in sandbox.unavailable_reason()  # checked again, not trusted


# --- Disk quotas ---------------------------------------------------------------------------


def _folder_bytes(folder):
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def test_files_over_the_runs_quota_are_deleted_and_named(tight, workdir):
    code = (
        "for number in range(5):\n"
        "    open(f'part-{number}.bin', 'wb').write(b'x' * 900_000)\n"
        "print('wrote 5')\n"
    )
    result = sandbox.run(code, workdir, budget=2 * 1024 * 1024)
    assert [p.name for p in result.files] == ["part-0.bin", "part-1.bin"]
    assert sorted(p.name for p in workdir.iterdir()) == ["part-0.bin", "part-1.bin"]
    assert result.written == 1_800_000
    assert "[Not kept: part-2.bin, part-3.bin, part-4.bin (deleted: over the 2 MB" in result.logs


def test_writing_past_the_quota_is_stopped_while_it_runs(tight, workdir):
    tight.ENGINE_SANDBOX_CPU_SECONDS = 10
    code = (
        "import time\n"
        "for number in range(200):\n"
        "    open(f'part-{number}.bin', 'wb').write(b'x' * 500_000)\n"
        "    time.sleep(0.02)\n"
        "print('finished')\n"
    )
    result = sandbox.run(code, workdir, budget=2 * 1024 * 1024)
    assert (
        result.stopped
        == "[Execution stopped: it wrote more than the 2 MB this run could still write.]"
    )
    assert "finished" not in result.logs
    assert _folder_bytes(workdir) <= 2 * 1024 * 1024
    assert "deleted: over the 2 MB" in result.logs


def test_the_threads_folder_has_a_quota(tight, workdir):
    tight.ENGINE_SANDBOX_FOLDER_MB = 2
    (workdir / "input.bin").write_bytes(b"i" * 1_500_000)  # the user's file, kept
    code = "open('a.bin', 'wb').write(b'a' * 400_000)\nopen('b.bin', 'wb').write(b'b' * 400_000)"
    result = sandbox.run(code, workdir)
    assert [p.name for p in result.files] == ["a.bin"]
    assert sorted(p.name for p in workdir.iterdir()) == ["a.bin", "input.bin"]
    assert (
        "b.bin (deleted:" in result.logs and "the 2 MB the thread's folder may hold" in result.logs
    )


def test_figures_are_capped_and_the_rest_named(tight, workdir):
    tight.ENGINE_SANDBOX_CPU_SECONDS = 20
    tight.ENGINE_SANDBOX_MEMORY_MB = 1024
    code = (
        "import matplotlib.pyplot as plt\n"
        f"for number in range({sandbox.MAX_FIGURES + 5}):\n"
        "    plt.figure(); plt.plot([1, number])\n"
    )
    result = sandbox.run(code, workdir)
    assert len(result.images) == sandbox.MAX_FIGURES
    assert f"[Not kept: 5 more figure(s) (at most {sandbox.MAX_FIGURES} a call" in result.logs
    for image in result.images:
        image.unlink()


def test_more_than_the_output_file_cap_are_kept_on_disk_and_named(tight, workdir):
    count = sandbox.MAX_OUTPUT_FILES + 3
    code = f"for n in range({count}):\n    open(f'f{{n:02d}}.txt', 'w').write('x')"
    result = sandbox.run(code, workdir)
    assert len(result.files) == sandbox.MAX_OUTPUT_FILES
    assert len(list(workdir.iterdir())) == sandbox.MAX_OUTPUT_FILES + 3
    assert "3 more written file(s) stay in /mnt/data but are not returned" in result.logs


# --- Processes: each sandbox counts its own -------------------------------------------------


def test_a_sandbox_at_its_process_limit_does_not_stop_another_starting_one(
    tight, workdir, tmp_path
):
    tight.ENGINE_SANDBOX_WALL_SECONDS = 30.0
    tight.ENGINE_SANDBOX_CPU_SECONDS = 20
    hog = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    for _ in range(64):\n"
        "        if os.fork() == 0:\n"
        "            while not os.path.exists('release'): time.sleep(0.05)\n"
        "            os._exit(0)\n"
        "        children += 1\n"
        "except OSError:\n"
        "    pass\n"
        "open('full', 'w').write(str(children))\n"
        "while not os.path.exists('release'): time.sleep(0.05)\n"
    )
    outcome = {}
    first = threading.Thread(target=lambda: outcome.update(hog=sandbox.run(hog, workdir)))
    first.start()
    try:
        import time

        deadline = time.monotonic() + 20
        while not (workdir / "full").exists():
            assert time.monotonic() < deadline, "the first sandbox never reached its limit"
            assert first.is_alive(), outcome
            time.sleep(0.05)
        assert int((workdir / "full").read_text()) < 16  # it is at its limit now
        other = tmp_path / "other"
        other.mkdir()
        second = sandbox.run(
            "import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\n"
            "os.waitpid(pid, 0)\nprint('forked')",
            other,
        )
        assert second.logs == "forked"
    finally:
        (workdir / "release").write_text("")
        first.join(timeout=30)
    assert not first.is_alive()


# --- Cancelling -----------------------------------------------------------------------------


def test_cancelling_kills_the_code_at_once(tight, workdir):
    import time

    tight.ENGINE_SANDBOX_CPU_SECONDS = 60
    tight.ENGINE_SANDBOX_WALL_SECONDS = 60.0
    asked = threading.Event()
    started = time.monotonic()

    def cancelled():
        asked.set()
        return time.monotonic() - started > 1.0

    result = sandbox.run("while True:\n    pass", workdir, cancelled=cancelled)
    assert result.cancelled and result.stopped == sandbox.CANCELLED
    assert time.monotonic() - started < 5
