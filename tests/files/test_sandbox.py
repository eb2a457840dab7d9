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
