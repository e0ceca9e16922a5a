# Sourced, not run, by deploy/local-cluster: what it asks of the operating system beyond POSIX tools, done the same
# way on Linux (GNU date, util-linux's setsid, /proc) and on macOS (bash 3.2, BSD date, no setsid, no /proc).
#   chorus_now_ms                  milliseconds since the epoch
#   chorus_detach COMMAND...       runs COMMAND in the background as the leader of a process group of its own, out of
#                                  reach of a Ctrl-C at the terminal; $! is its pid, and kill -- -$! stops the group
#   chorus_command_line PID        the arguments of process PID, separated by spaces; fails when there is no such process

# Where the process table is, if there is one; a test sets a missing directory to take the ps path on Linux.
chorus_proc="${chorus_proc:-/proc}"

chorus_now_ms() {
  local now
  # GNU date has nanoseconds; BSD date prints %N as the letter N, which is no number.
  now="$(date +%s%N)"
  case "$now" in
    '' | *[!0-9]*) ;;
    *) echo $((now / 1000000)); return 0 ;;
  esac
  # bash 5: seconds and microseconds, with the locale's decimal separator.
  if [ -n "${EPOCHREALTIME:-}" ]; then
    now="${EPOCHREALTIME//[!0-9]/}"
    echo $((now / 1000))
    return 0
  fi
  # Perl before Python: macOS ships perl, while its /usr/bin/python3 may be a stub that offers to install the tools.
  if now="$(perl -MTime::HiRes=time -e 'printf("%d\n", time() * 1000)' 2>/dev/null)" \
      || now="$(python3 -c 'import time; print(int(time.time() * 1000))' 2>/dev/null)"; then
    case "$now" in
      '' | *[!0-9]*) ;;
      *) echo "$now"; return 0 ;;
    esac
  fi
  echo $(($(date +%s) * 1000))
}

chorus_detach() {
  if command -v setsid > /dev/null 2>&1; then
    setsid "$@" &
  else
    # Job control gives a background job a process group of its own, which a Ctrl-C at the terminal (sent to the
    # foreground group) does not reach: setsid's part here, short of leaving the terminal's session.
    set -m
    "$@" &
    set +m
  fi
}

chorus_command_line() {
  if [ -d "$chorus_proc" ]; then
    [ -r "$chorus_proc/$1/cmdline" ] && tr '\0' ' ' < "$chorus_proc/$1/cmdline"
  else
    ps -ww -o command= -p "$1"
  fi
}
