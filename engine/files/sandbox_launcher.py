"""Runs one piece of model-written Python inside the sandbox (engine.files.sandbox).

This file is executed on its own (`python -I -u sandbox_launcher.py CONFIG`), never imported by
the project. It drops root if it has it, lowers its resource limits (CPU seconds, address
space, processes, file size) so nothing it starts can raise them again, runs the code as
`__main__`, prints a traceback of the code's own frames on error, and saves every open
matplotlib figure as a PNG in the outputs folder.
"""

import json
import os
import resource
import shutil
import sys
import traceback
import warnings


def _drop_root(uid: int, gid: int) -> None:
    if os.getuid() == 0:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)


def _limit(config: dict) -> None:
    cpu = int(config["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = int(config["memory_bytes"])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(config["file_bytes"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    processes = int(config["processes"])
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _matplotlib(config: dict) -> None:
    # A font cache built once outside saves every run about a second of font scanning.
    target = os.environ.get("MPLCONFIGDIR", "")
    source = config.get("matplotlib_cache") or ""
    if target and source and os.path.isdir(source):
        shutil.copytree(source, target, dirs_exist_ok=True)
    warnings.filterwarnings("ignore", message=".*non-GUI backend.*")
    warnings.filterwarnings("ignore", message=".*non-interactive.*")


def _save_figures(outputs: str, most: int) -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is None:
        return
    # Only as many as are kept: drawing hundreds would spend the CPU limit for nothing (the
    # engine says how many were not kept).
    for position, number in enumerate(pyplot.get_fignums()):
        name = f"figure-{number:03d}.png" if position < most else f"figure-{number:03d}.skipped"
        if position < most:
            pyplot.figure(number).savefig(os.path.join(outputs, name), dpi=100)
        else:
            open(os.path.join(outputs, name), "w").close()


def main() -> int:
    config = json.loads(sys.argv[1])
    if config.get("uid") is not None:
        _drop_root(int(config["uid"]), int(config["gid"]))
    _limit(config)
    _matplotlib(config)
    os.chdir(config["workdir"])
    with open(config["code"], encoding="utf-8") as handle:
        code = handle.read()
    # The first line says the sandbox started: anything else is bwrap explaining why not.
    sys.stdout.write(config["started"] + "\n")
    sys.stdout.flush()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    status = 0
    try:
        exec(compile(code, "<code>", "exec"), namespace)  # noqa: S102 - the sandbox's purpose
    except SystemExit as stop:
        status = stop.code if isinstance(stop.code, int) else 1
    except BaseException as error:
        frames = traceback.extract_tb(error.__traceback__)[1:]  # hide this launcher's frame
        sys.stderr.write("Traceback (most recent call last):\n")
        sys.stderr.write("".join(traceback.format_list(frames)))
        sys.stderr.write("".join(traceback.format_exception_only(type(error), error)))
        status = 1
    try:
        _save_figures(config["outputs"], int(config["max_figures"]))
    except Exception as error:
        sys.stderr.write(f"Could not save the figures: {error}\n")
    sys.stdout.flush()
    sys.stderr.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
