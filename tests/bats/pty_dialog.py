#!/usr/bin/python3
"""Answer a program's questions on a real pseudo-terminal.

    pty_dialog.py TRANSCRIPT SECONDS [EXPECT ANSWER ...] -- COMMAND [ARG ...]

Runs COMMAND with a new pseudo-terminal as its stdin, stdout and stderr.
Each time the next EXPECT shows up in what the terminal shows (after the
previous one), types ANSWER and Enter, as a person would.  Everything the
terminal showed, echoed answers included, goes to TRANSCRIPT.  Exits with
COMMAND's exit status; 124 if it is not done within SECONDS (it is killed),
125 if it ended with questions unanswered.
"""
import os
import pty
import select
import signal
import sys
import time


def main():
    transcript, seconds = sys.argv[1], float(sys.argv[2])
    rest = sys.argv[3:]
    sep = rest.index("--")
    pairs, command = rest[:sep], rest[sep + 1:]
    steps = list(zip(pairs[0::2], pairs[1::2]))
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    shown, pos, step = b"", 0, 0
    deadline = time.monotonic() + seconds
    timed_out = False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            os.kill(pid, signal.SIGKILL)
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.2))
        if ready:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                break
            shown += data
        if step < len(steps):
            at = shown.find(steps[step][0].encode(), pos)
            if at >= 0:
                pos = at + len(steps[step][0])
                os.write(fd, steps[step][1].encode() + b"\r")
                step += 1
    _, status = os.waitpid(pid, 0)
    with open(transcript, "wb") as f:
        f.write(shown)
    if timed_out:
        sys.exit(124)
    if step < len(steps):
        print("unanswered: %r" % steps[step][0], file=sys.stderr)
        sys.exit(125)
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
