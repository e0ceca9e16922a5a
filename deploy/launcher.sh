# Sourced, not run, by the two launchers, ./chorus and deploy/local-cluster: the Java they run on and the build they
# run, decided in one place. The sourcing script sets $root, the repository root, first.
#   chorus_require_java WHO            sets java_bin to a Java 17 or newer (JAVA_HOME, else PATH), or exits
#   chorus_ensure_built WHO [FILE...]  builds (./mvnw -DskipTests package) unless this version's CLI jar, cli/target/lib
#                                      and every FILE exist and no source changed since the last build

# This checkout's version: the top-level <version> of pom.xml, the only one indented by two spaces. A version bump
# leaves the previous version's jars in target/ until `./mvnw clean`; naming the current one's never picks them.
chorus_version="$(sed -n 's|^  <version>\([^<]*\)</version>$|\1|p' "$root/pom.xml" | head -n 1)"
chorus_cli_jar="$root/cli/target/chorus-cli-$chorus_version.jar"
chorus_job_jar="$root/jobs/target/chorus-jobs-$chorus_version-job.jar"
chorus_lib="$root/cli/target/lib"

chorus_require_java() {
  local who="$1" major
  java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  if ! command -v "$java_bin" >/dev/null 2>&1; then
    echo "$who: Java 17 or newer is needed (set JAVA_HOME or put java on PATH)" >&2
    exit 1
  fi
  major="$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [ "${major%%.*}" -lt 17 ] 2>/dev/null; then
    echo "$who: Java 17 or newer is needed, found Java $major ($java_bin)" >&2
    exit 1
  fi
}

chorus_stale() { # chorus_stale [FILE...]: why the build is not current; nothing when it is
  local f
  for f in "$chorus_cli_jar" "$chorus_lib" "$@"; do
    [ -e "$f" ] || { echo "no build of $chorus_version yet"; return; }
  done
  # The CLI jar is the last artifact a build writes, and is dated to that build's start (below).
  if [ -n "$(find "$root/pom.xml" "$root/schemas" "$root/model-core" "$root/embedded" "$root/jobs" "$root/cli" \
      -path '*/target' -prune -o -type f -newer "$chorus_cli_jar" -print -quit)" ]; then
    echo "sources changed since the last build"
  fi
}

chorus_ensure_built() {
  local who="$1" stale
  shift
  if [ -z "$chorus_version" ]; then
    echo "$who: no top-level <version> in $root/pom.xml (expected a line '  <version>...</version>')" >&2
    exit 1
  fi
  stale="$(chorus_stale "$@")"
  [ -n "$stale" ] || return 0
  mkdir -p "$root/target"
  # One build at a time: `chorus kafka` and `chorus train` started together on a stale tree would otherwise both
  # build into the same target/ directories. The second waits, then finds the build current. flock is util-linux's;
  # where it is missing (macOS), builds are not serialized. The lock is fd 9 of this subshell only, so nothing the
  # launcher runs afterwards holds it.
  (
    if command -v flock >/dev/null 2>&1; then
      if ! flock -n 9; then
        echo "$who: waiting for the build another launch is running..." >&2
        flock 9
      fi
      stale="$(chorus_stale "$@")"
      [ -n "$stale" ] || exit 0
    fi
    echo "$who: building ($stale; the first build downloads dependencies and takes a few minutes)..." >&2
    # A file dated to this build's start: touch -r copies its time, as GNU and BSD touch both do (touch -d with
    # date +%N is GNU's only).
    started="$(mktemp "$root/target/build-started.XXXXXX")"
    trap 'rm -f "$started"' EXIT
    (cd "$root" && ./mvnw -q -B -DskipTests package) >&2
    for f in "$chorus_cli_jar" "$chorus_lib" "$@"; do
      [ -e "$f" ] || { echo "$who: the build did not make $f" >&2; exit 1; }
    done
    # Maven leaves an up-to-date jar as it was (a change to a test or another module): date it to this build's
    # start, or every later run would build again (a source saved during the build stays newer).
    touch -r "$started" "$chorus_cli_jar"
  ) 9>"$root/target/build.lock"
}
