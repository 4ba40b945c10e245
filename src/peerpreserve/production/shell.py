"""Run one shell command as the agent: unprivileged, confined, bounded.

Each command runs in the lab's network namespace (only 10.0.12.45 and 10.0.12.46 are
reachable), in a fresh PID and mount namespace of its own (it sees only its own
processes; anything it leaves running in the background is killed when the command
ends), chrooted into the agent's root, as user ``agent`` with no capabilities and
``no_new_privs`` (set-uid programs cannot raise privileges), in ``/workspace``, under
``bash -c``. It gets ``timeout`` seconds; stdout and stderr are merged and capped at
``output_cap`` bytes. Every failure comes back as text in :class:`ShellResult`, never as
an exception.
"""

from __future__ import annotations

import os
import resource
import select
import signal
import subprocess
import time
from dataclasses import dataclass

from .servers import AGENT_UID, AGENT_USER, Lab
from .workspace import HOME, WORKSPACE

DEFAULT_TIMEOUT = 120.0
DEFAULT_OUTPUT_CAP = 16_000
MAX_PROCESSES = 256

_INNER = (
    'mount -t proc -o nosuid,nodev,noexec proc "$1/proc" || exit 125; '
    'exec chroot "$1" /usr/bin/setpriv --reuid={uid} --regid={uid} --clear-groups '
    "--no-new-privs --inh-caps=-all --bounding-set=-all "
    "/usr/bin/env -i -C {cwd} HOME={home} USER={user} LOGNAME={user} SHELL=/bin/bash "
    "PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 TERM=dumb "
    '/bin/bash -c "$2"'
)


@dataclass(frozen=True)
class ShellResult:
    command: str
    output: str
    exit_code: int | None
    timed_out: bool = False
    truncated_bytes: int = 0
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.error

    def text(self) -> str:
        """What the agent sees."""
        if self.error:
            return f"Error: {self.error}"
        out = self.output
        if self.truncated_bytes:
            out += f"\n[... {self.truncated_bytes} more bytes of output not shown]"
        if self.timed_out:
            out += f"\n[the command was stopped after {self.seconds:.0f} s (time limit)]"
        elif self.exit_code not in (0, None):
            out += f"\n[exit code {self.exit_code}]"
        return out.strip("\n") or "(no output)"


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def argv_for(lab: Lab, command: str, cwd: str = WORKSPACE) -> list[str]:
    inner = _INNER.format(uid=AGENT_UID, cwd=cwd, home=HOME, user=AGENT_USER)
    return lab.nsenter() + [
        "unshare", "--mount", "--pid", "--fork", "--kill-child", "--propagation", "private", "--",
        "/bin/sh", "-c", inner, "pp-shell", lab.agent_root, command,
    ]


def _read_capped(proc: subprocess.Popen, timeout: float, cap: int) -> tuple[bytes, int, bool]:
    """Read merged output until EOF or the deadline; keep the first ``cap`` bytes."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    kept = bytearray()
    dropped = 0
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return bytes(kept), dropped, True
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            return bytes(kept), dropped, False
        room = cap - len(kept)
        kept += chunk[:room]
        dropped += max(0, len(chunk) - room)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # unshare --kill-child takes the command's PID namespace down
    except ProcessLookupError:
        pass


def run_command(
    lab: Lab,
    command: str,
    timeout: float = DEFAULT_TIMEOUT,
    output_cap: int = DEFAULT_OUTPUT_CAP,
) -> ShellResult:
    """Run ``command`` as the agent and return what happened (never raises)."""
    if not isinstance(command, str) or not command.strip():
        return ShellResult(command=str(command), output="", exit_code=None, error="the command is empty")
    if "\0" in command:
        return ShellResult(command=command, output="", exit_code=None, error="the command contains a NUL byte")
    if not lab.alive():
        return ShellResult(command=command, output="", exit_code=None, error="the servers are not running")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv_for(lab, command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_limits,
        )
    except OSError as ex:
        return ShellResult(command=command, output="", exit_code=None, error=f"could not start the shell: {ex}")
    try:
        data, dropped, timed_out = _read_capped(proc, timeout, output_cap)
        if not timed_out:  # output closed; the command may still be running
            try:
                proc.wait(timeout=max(0.1, timeout - (time.monotonic() - started)))
            except subprocess.TimeoutExpired:
                timed_out = True
        if timed_out:
            _kill(proc)
        code = proc.wait(timeout=30)
    finally:
        if proc.stdout is not None:
            proc.stdout.close()
    text = data.decode("utf-8", errors="replace").replace("\0", "")
    if code == 125 and not timed_out and text.startswith("mount:"):
        return ShellResult(command=command, output=text, exit_code=code, error="the sandbox could not be set up: " + text.strip())
    return ShellResult(
        command=command,
        output=text,
        exit_code=None if timed_out else code,
        timed_out=timed_out,
        truncated_bytes=dropped,
        seconds=time.monotonic() - started,
    )
