package dev.chorus.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/local-cluster} (and {@code deploy/processes.sh}, which it sources) where the tools are macOS's: a
 * {@code date} that prints {@code %N} as the letter N, no {@code setsid}, no {@code /proc}, no {@code EPOCHREALTIME}
 * (bash 3.2). Each is made so here by a stub, or by leaving the tool off {@code PATH}, on this Linux machine.
 */
class LocalClusterPortabilityTest {

    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();
    private static final String SYSTEM_PATH = System.getenv("PATH");
    /** The tools deploy/local-cluster checks for, as it lists them (setsid no longer among them), and ps. */
    private static final List<String> TOOLS = List.of("curl", "readlink", "dirname", "basename", "sed", "grep", "tr",
            "sort", "wc", "seq", "sleep", "find", "touch", "head", "cat", "ls", "mkdir", "rm", "ps");

    @TempDir
    Path dir;

    /** Milliseconds from each fallback in turn, each within the clock readings around it; the seconds one whole. */
    @Test
    void theClockHasMillisecondsWithoutGnuDate() throws Exception {
        Path bin = macBin();
        Path calls = dir.resolve("calls.log");
        Map<String, String> scripts = new LinkedHashMap<>();
        scripts.put("gnu date", ":");
        scripts.put("EPOCHREALTIME", "PATH='" + bin + "'");
        scripts.put("perl", "PATH='" + bin + "'; unset EPOCHREALTIME");
        scripts.put("python3", "PATH='" + bin + "'; unset EPOCHREALTIME; perl() { return 127; }");
        scripts.put("seconds", "PATH='" + bin + "'; unset EPOCHREALTIME; perl() { return 127; }; "
                + "python3() { return 127; }");
        for (String tool : List.of("perl", "python3")) {
            String real = onPath(tool).orElse(null);
            assumeThat(real).as(tool + " on PATH").isNotNull();
            script(bin.resolve(tool), "echo " + tool + " >> '" + calls + "'; PATH='" + SYSTEM_PATH + "' exec '" + real
                    + "' \"$@\"");
        }

        for (Map.Entry<String, String> s : scripts.entrySet()) {
            long before = System.currentTimeMillis();
            String out = bash(s.getValue() + "; . '" + REPO.resolve("deploy/processes.sh") + "'; chorus_now_ms");
            long after = System.currentTimeMillis();
            long ms = Long.parseLong(out.strip());
            if (s.getKey().equals("seconds")) {
                assertThat(ms % 1000).as("whole seconds from date +%s").isZero();
                assertThat(ms).as(s.getKey()).isBetween(before / 1000 * 1000, after);
            } else {
                assertThat(ms).as(s.getKey()).isBetween(before, after);
            }
        }
        assertThat(Files.readAllLines(calls)).as("each fallback ran where the one before it could not")
                .containsExactly("perl", "python3");
    }

    /**
     * Without setsid the process still leads a process group of its own (so a Ctrl-C at the terminal misses it and
     * {@code kill -- -PID} stops it whole), and its command line is read from ps where there is no /proc.
     */
    @Test
    void aProcessIsDetachedIntoAGroupOfItsOwnWithOrWithoutSetsid() throws Exception {
        Path bin = macBin();
        Path fifo = dir.resolve("fifo");
        // The process says its own pid and group once it runs (a fifo's read waits for it): before it, setsid may not
        // yet have made it a session leader.
        String detach = ". '" + REPO.resolve("deploy/processes.sh") + "'\n"
                + "chorus_detach /bin/bash -c 'echo \"$$ $(ps -o pgid= -p $$)\" > \"$1\"; sleep 120; exit' chorus-marker '"
                + fifo + "' > /dev/null 2>&1 < /dev/null\n"
                + "p=$!; disown $p; trap 'kill -- -$p' EXIT\n"
                + "read -r pid group < '" + fifo + "'\n"
                + "echo \"$p $pid $group\"\n"
                + "chorus_proc=/nonexistent chorus_command_line $p\n"
                + "command -v setsid > /dev/null || echo no setsid\n";

        for (String path : new String[] {SYSTEM_PATH, bin.toString()}) {
            String[] lines = bash("rm -f '" + fifo + "'; mkfifo '" + fifo + "'; PATH='" + path + "'\n" + detach)
                    .split("\n");
            String[] pids = lines[0].split(" ");
            assertThat(pids[1]).as("$! is the process, on " + path).isEqualTo(pids[0]);
            assertThat(pids[2]).as("its process group, on " + path).isEqualTo(pids[0]);
            assertThat(lines[1]).as("its command line, from ps").contains("chorus-marker");
            assertThat(lines.length == 3).as("setsid missing").isEqualTo(path.equals(bin.toString()));
        }
    }

    /**
     * The script itself, with macOS's tools: {@code status} finds a process it started by the marker on its command
     * line (from ps), and {@code stop} stops it.
     */
    @Test
    void statusAndStopWorkWithoutSetsidGnuDateOrProc() throws Exception {
        Path bin = macBin();
        Path state = dir.resolve("cluster");
        Files.createDirectories(state.resolve("pids"));
        script(dir.resolve("jdk/bin/java"),
                "case \"$1\" in -XshowSettings:properties) echo '    java.specification.version = 17' >&2 ;; esac");
        // One process (read is a bash builtin), like the JVMs the script starts, carrying their marker.
        Process kafka = new ProcessBuilder("bash", "-c", "read -r -t 120 line", "-Dchorus.local-cluster=" + state)
                .start();
        try {
            Files.writeString(state.resolve("pids/kafka.pid"), kafka.pid() + "\n");
            Map<String, String> env = Map.of("PATH", bin.toString(), "JAVA_HOME", dir.resolve("jdk").toString(),
                    "CHORUS_CLUSTER_DIR", state.toString(), "CHORUS_FLINK_REST_PORT", "1", "chorus_proc",
                    "/nonexistent");

            assertThat(localCluster(env, "status")).contains("kafka: running (pid " + kafka.pid() + ")");
            localCluster(env, "stop");
            assertThat(kafka.waitFor(60, TimeUnit.SECONDS)).as("stopped").isTrue();
            assertThat(state.resolve("pids/kafka.pid")).doesNotExist();
        } finally {
            kafka.destroyForcibly();
        }
    }

    /** A directory of the tools the script needs, from this machine, but setsid; its date prints %N as N. */
    private Path macBin() throws IOException {
        Path bin = Files.createDirectories(dir.resolve("mac-bin"));
        for (String tool : TOOLS) {
            String real = onPath(tool).orElse(null);
            assumeThat(real).as(tool + " on PATH").isNotNull();
            script(bin.resolve(tool), "exec '" + real + "' \"$@\"");
        }
        script(bin.resolve("date"), "exec '" + onPath("date").orElseThrow() + "' \"${@//\\%N/N}\"");
        return bin;
    }

    private static Optional<String> onPath(String tool) {
        return Stream.of(SYSTEM_PATH.split(":")).map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst()
                .map(Path::toString);
    }

    private static void script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/bin/bash\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }

    /** What {@code script} printed on stdout, run by bash with {@code set -euo pipefail}; it must succeed. */
    private static String bash(String script) throws Exception {
        return run(new ProcessBuilder("/bin/bash", "-c", "set -euo pipefail\n" + script));
    }

    private static String localCluster(Map<String, String> environment, String command) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", REPO.resolve("deploy/local-cluster").toString(), command);
        pb.environment().putAll(environment);
        return run(pb);
    }

    private static String run(ProcessBuilder pb) throws Exception {
        Path err = Files.createTempFile("local-cluster", ".err");
        try {
            Process p = pb.redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as(out + Files.readString(err)).isZero();
            return out;
        } finally {
            Files.delete(err);
        }
    }
}
