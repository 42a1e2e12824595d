# Process and env-file helpers for start.sh, stop.sh and the service scripts. Sourced, never run.
#
# Every process the rig starts goes through rig_spawn, which records "name pid starttime" in
# $RIG_RUN/pids; stop.sh signals exactly those PIDs, and only while their start time still matches
# (a recycled PID is never signalled).

# The start time (in clock ticks since boot) of a live PID, field 22 of /proc/PID/stat; fails for a
# PID that is gone or a zombie (dead, waiting to be reaped).
rig_proc_start() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  stat="${stat##*) }" # the command name may contain spaces; fields restart after ") "
  # shellcheck disable=SC2086
  set -- $stat
  [[ "$1" != Z ]] || return 1
  printf '%s\n' "${20}"
}

# rig_spawn NAME CMD [ARGS...]: starts CMD in its own session (so a terminal's Ctrl-C does not reach
# a sandbox), output to $RIG_RUN/logs/NAME.log, and records it.
rig_spawn() {
  local name="$1"
  shift
  mkdir -p "$RIG_RUN/logs"
  # Without job control the child is no process-group leader, so setsid execs in place: $! is the
  # service's own PID.
  setsid "$@" </dev/null >"$RIG_RUN/logs/$name.log" 2>&1 &
  local pid=$!
  local start
  start="$(rig_proc_start "$pid" || echo 0)"
  printf '%s %s %s\n' "$name" "$pid" "$start" >>"$RIG_RUN/pids"
  log "started $name (pid $pid)"
}

# The PID of a spawned service, by name.
rig_pid() {
  awk -v n="$1" '$1 == n { print $2 }' "$RIG_RUN/pids" | tail -n1
}

# Fails with the end of the service's log when it is no longer running.
rig_check_alive() {
  local pid
  pid="$(rig_pid "$1")"
  if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
    tail -n 30 "$RIG_RUN/logs/$1.log" >&2 || true
    die "$1 exited during start (log: $RIG_RUN/logs/$1.log)"
  fi
}

# rig_wait NAME TIMEOUT_S CMD...: polls CMD until it succeeds; fails if NAME dies or time runs out.
rig_wait() {
  local name="$1" timeout="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    rig_check_alive "$name"
    if ((SECONDS >= deadline)); then
      tail -n 30 "$RIG_RUN/logs/$name.log" >&2 || true
      die "$name not ready after ${timeout}s (log: $RIG_RUN/logs/$name.log)"
    fi
    sleep 0.1
  done
}

# rig_env KEY VALUE: adds a line to the env file (the contract with tests and later fakes).
rig_env() {
  [[ "$2" != *[[:space:]]* ]] || die "env value of $1 has whitespace: '$2'"
  printf '%s=%s\n' "$1" "$2" >>"$RIG_RUN/rig.env"
  export "$1=$2"
}

# rig_free_ports N: N distinct free TCP ports on 127.0.0.1, one a line. All are held open together
# while choosing, so no two are the same.
rig_free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print("\n".join(str(s.getsockname()[1]) for s in socks))
PY
}

# rig_address_line NAME: the JSON address line a fake prints first on stdout (in its log, among the
# diagnostics on stderr); fails while there is none.
rig_address_line() {
  grep -m1 '^{.*"control"' "$RIG_RUN/logs/$1.log"
}

# rig_json_fields JSON KEY...: top-level values of a JSON object, one a line, in one python run (each
# run costs a tenth of a second or more on a busy machine).
rig_json_fields() {
  python3 -c 'import json, sys
obj = json.loads(sys.argv[1])
print("\n".join(str(obj[key]) for key in sys.argv[2:]))' "$@"
}
