package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.cli.bench.ChildJvm;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** {@code chorus.log} under the command line's logging set-up, written by one JVM after another. */
class ChorusLogFileTest {

    /** A command line's JVM: the CLI's logging set-up, then one INFO line. */
    public static final class LogOneLine {
        public static void main(String[] args) {
            ChorusCli.configureLogging();
            LoggerFactory.getLogger(ChorusCli.class).info(args[0]);
        }
    }

    /** A command line's JVM that logs, as Flink's metric groups do, a collision of Flink's and one of Chorus's. */
    public static final class LogCollisions {
        public static void main(String[] args) {
            ChorusCli.configureLogging();
            org.slf4j.Logger metrics = LoggerFactory.getLogger("org.apache.flink.metrics.MetricGroup");
            for (String name : List.of("pendingCommittables", "time-between-poll-max", "examplesTrained")) {
                metrics.warn("Name collision: Group already contains a Metric with the name '" + name
                        + "'. Metric will not be reported.[, taskmanager, tm-1, chorus-train, minibatch-sgd, 0]");
            }
        }
    }

    @Test
    void flinksRepeatedMetricCollisionsStayOutOfChorusLogAndAChorusMetricsShows(@TempDir Path logDir)
            throws Exception {
        List<String> command = ChildJvm.command(Map.of("chorus.log.dir", logDir.toString()), LogCollisions.class,
                List.of());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();

        assertThat(Files.readAllLines(logDir.resolve("chorus.log"), StandardCharsets.UTF_8))
                .filteredOn(l -> l.contains("Name collision")).singleElement(InstanceOfAssertFactories.STRING)
                .contains("'examplesTrained'");
    }

    @Test
    void aSecondCommandKeepsTheFirstCommandsLines(@TempDir Path logDir) throws Exception {
        long first = run(logDir, "line of the first command");
        long second = run(logDir, "line of the second command");

        List<String> log = Files.readAllLines(logDir.resolve("chorus.log"), StandardCharsets.UTF_8);
        assertThat(log).anyMatch(l -> l.contains(" " + first + " ") && l.endsWith("line of the first command"))
                .anyMatch(l -> l.contains(" " + second + " ") && l.endsWith("line of the second command"));
    }

    /**
     * A truststore that is not there: Kafka's client logs the NoSuchFileException with its stack trace at ERROR while
     * it is created. The console (stderr of a {@code chorus} process) shows Chorus's one line; the trace is in
     * {@code chorus.log}.
     */
    @Test
    void kafkasStackTraceGoesToChorusLogAndTheConsoleShowsOneLine(@TempDir Path logDir) throws Exception {
        Path truststore = logDir.resolve("no-such-truststore.p12");
        List<String> command = ChildJvm.command(Map.of("chorus.log.dir", logDir.toString()), ChorusCli.class,
                List.of("tail", "--no-follow", "t", "--bootstrap-servers", CliRun.unreachableBroker(),
                        "-X", "security.protocol=SSL", "-X", "ssl.truststore.location=" + truststore));
        Process p = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String console = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(console).isTrue();

        assertThat(p.exitValue()).as(console).isEqualTo(1);
        // The JVM's own notice of the incubating Vector API (a module flag of this build's JVMs) is not Chorus's.
        assertThat(console.lines().filter(l -> !l.startsWith("WARNING: Using incubator modules")))
                .as(console).singleElement(InstanceOfAssertFactories.STRING)
                .startsWith("chorus tail: cannot reach Kafka at ").endsWith(": no such file " + truststore);
        assertThat(Files.readString(logDir.resolve("chorus.log"), StandardCharsets.UTF_8))
                .contains("java.nio.file.NoSuchFileException: " + truststore, "\tat org.apache.kafka.");
    }

    /** The process id of a JVM that logged {@code line}. */
    private static long run(Path logDir, String line) throws Exception {
        List<String> command = ChildJvm.command(Map.of("chorus.log.dir", logDir.toString()), LogOneLine.class,
                List.of(line));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return p.pid();
    }
}
