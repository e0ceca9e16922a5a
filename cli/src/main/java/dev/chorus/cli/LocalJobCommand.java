package dev.chorus.cli;

import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.JobOptions;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.BoundedEnd;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that runs one Chorus job on a local Flink MiniCluster until it ends or Ctrl-C, or, with
 * {@code --flink-run}, prints the {@code flink run} command that runs the same job on a cluster (and, with
 * {@code --submit}, runs it).
 */
abstract class LocalJobCommand implements Callable<Integer> {

    /** Flink settings of the job: {@code flink run} takes them under the same name, before the job jar. */
    private static final String FLINK_OPTION = "-D";
    /**
     * Options that only shape the local run, or (the Flink settings) reach a cluster as options of {@code flink run}, so
     * they are not passed to the job on a cluster.
     */
    private static final Set<String> LOCAL_ONLY = Set.of("--slots", "--web-ui-port", "--flink-run", "--submit",
            "--help", "--version", "--verbose", "--config", "--kafka-config-out", KafkaCheckTimeout.OPTION,
            FLINK_OPTION);
    private static final String KAFKA_CONFIG_OPTION = "--kafka-config";

    @Spec
    CommandSpec spec;

    @Option(names = "--flink-run",
            description = "Print the `flink run` command that runs this job, with these options, on a Flink cluster "
                    + "(with the job jar the build makes) instead of running it here. Secret Kafka settings are not "
                    + "arguments: they go to the --kafka-config-out file, which the command reads with --kafka-config.")
    boolean flinkRun;

    @Option(names = "--kafka-config-out", paramLabel = "FILE",
            description = "With --flink-run: where to write the secret Kafka settings (readable by you only; "
                    + "default: ~/.chorus/<job>-kafka.properties).")
    Path kafkaConfigOut;

    @Option(names = "--submit",
            description = "With --flink-run: also run that command with the Flink CLI ($FLINK_HOME/bin/flink, else "
                    + "flink on PATH).")
    boolean submit;

    @Mixin
    KafkaCheckTimeout checkTimeout = new KafkaCheckTimeout();

    @Option(names = "--slots", defaultValue = "2", description = "Task slots of the local cluster (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--web-ui-port", defaultValue = "0", description = "Flink web UI port; 0 picks a free one from 8081.")
    int webUiPort;

    @Option(names = FLINK_OPTION, paramLabel = "KEY=VALUE",
            description = "A Flink setting of the job, as flink run -D takes it (e.g. "
                    + "-Dexecution.checkpointing.min-pause=30s); --flink-run passes it on as such. The job's own "
                    + "settings (checkpoint interval and mode, object reuse, generic types) win over it.")
    Map<String, String> flinkSettings = new LinkedHashMap<>();

    /** The job's name on the cluster. */
    abstract String jobName();

    /** The job's configured parallelism, or a value <= 0 to use every slot. */
    abstract int parallelism();

    /** Adds the job to {@code env}; for a bounded one, returns where its examples source stops, else null. */
    abstract BoundedEnd build(StreamExecutionEnvironment env);

    /** How to explain a refusal of Kafka's authorizer to this job: its topics, groups and transactional ids. */
    abstract KafkaDenied kafkaDenied();

    /** The job's options, as parsed. */
    abstract JobOptions jobOptions();

    /** The job's settings from its options; options the job refuses throw {@link IllegalArgumentException}. */
    abstract JobSettings<?> settings();

    /**
     * Builds the job's settings once, before Kafka is asked or a {@code flink run} command printed: options that
     * picocli parsed but the job refuses (a spec, a wire format, a bound, an unreadable file) are a usage error.
     */
    final void checkSettings() {
        try {
            settings();
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
    }

    /** The topics without which the job cannot run: a missing one would make it restart forever. */
    abstract List<String> requiredTopics();

    /** Where the job's outputs go, e.g. {@code predictions on chorus.predictions, ...}, for the line it ends with. */
    abstract String outputs();

    /** The line a finished run ends with: how long it ran and where its outputs went. */
    final String finished(JobID job, long runtimeMillis) {
        return String.format(Locale.ROOT, "%s %s finished after %.1f s: %s", jobName(), job, runtimeMillis / 1000.0,
                outputs());
    }

    /**
     * What a finished bounded run should tell its user beyond where its outputs went, from the job's accumulators:
     * a run that read or trained nothing says so, and why that may be. Empty when there is nothing to add.
     */
    Optional<String> hint(Map<String, Object> accumulators) {
        return Optional.empty();
    }

    /** The job's main class on a cluster. */
    abstract Class<?> mainClass();

    /** The environment the job is built in: the {@code -D} Flink settings, the parallelism. */
    final StreamExecutionEnvironment environment() {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                Configuration.fromMap(flinkSettings));
        env.setParallelism(parallelism() > 0 ? parallelism() : slots);
        return env;
    }

    @Override
    public Integer call() throws Exception {
        if (flinkRun || submit) {
            return flinkRun();
        }
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(slots, webUiPort)) {
            StreamExecutionEnvironment env = environment();
            BoundedEnd end = buildExplained(env);
            JobID job = flink.submit(env, jobName());
            System.out.printf("%s %s running; Flink web UI at %s (Ctrl-C stops it)%n", jobName(), job, flink.webUi());
            AtomicBoolean stopping = new AtomicBoolean();
            Thread stopOnSignal = new Thread(() -> {
                stopping.set(true);
                cancelOnSignal(flink, job);
            }, "chorus-stop");
            Runtime.getRuntime().addShutdownHook(stopOnSignal);
            JobResult result;
            try {
                result = flink.await(job, KafkaDenied::isDenial);
            } catch (IllegalStateException failed) {
                if (stopping.get()) {
                    return 0; // cancelled by the hook, which says so
                }
                throw explained(failed);
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(stopOnSignal);
                } catch (IllegalStateException shuttingDown) {
                    // Ctrl-C: the hook is stopping the job.
                }
            }
            if (stopping.get()) {
                return 0; // ended by the hook, which says so
            }
            // Only a bounded run gets here: an unbounded one ends with Ctrl-C.
            String uncommitted = end == null ? null : end.commit();
            if (uncommitted != null) {
                spec.commandLine().getErr().println("chorus " + spec.name() + ": its next run of the same group may "
                        + "read again what this one read: " + uncommitted);
            }
            spec.commandLine().getOut().println(finished(job, result.getNetRuntime()));
            hint(result.toJobExecutionResult(getClass().getClassLoader()).getAllAccumulatorResults())
                    .ifPresent(spec.commandLine().getOut()::println);
            spec.commandLine().getOut().flush();
        }
        return 0;
    }

    /**
     * {@link #build}, with a refusal of Kafka's authorizer on the way explained as a running job's is: the train job's
     * build reads where the control topic and the examples end, and {@code --spec} seeding writes the control topic,
     * all before the job starts.
     */
    final BoundedEnd buildExplained(StreamExecutionEnvironment env) {
        try {
            return build(env);
        } catch (RuntimeException failed) {
            throw explained(failed);
        }
    }

    /** {@code failed} as the one line of {@link KafkaDenied} if Kafka's authorizer caused it, else as it is. */
    private RuntimeException explained(RuntimeException failed) {
        return kafkaDenied().explain(failed).<RuntimeException>map(line -> new KafkaDeniedException(line, failed))
                .orElse(failed);
    }

    /**
     * Ctrl-C (or SIGTERM): cancels the job, whose Kafka sinks then abort their open transactions. Without it the JVM
     * ends with them open, and every read-committed reader of the job's output topics stops at the first of them
     * until the broker times it out (the sinks' transaction timeout, 10 minutes), or until the next run of the same
     * job starts. What the job did since its last checkpoint is not committed, and its group's offsets are those of
     * that checkpoint, so its next run does that again: nothing is lost or doubled.
     */
    private void cancelOnSignal(LocalFlinkCluster flink, JobID job) {
        System.out.printf("%nstopping %s: cancelling it aborts its open Kafka transactions%n", jobName());
        try {
            flink.cancel(job);
            System.out.printf("%s stopped: what it committed at its last checkpoint stands; its next run of the same "
                    + "group starts from there%n", jobName());
        } catch (Exception e) {
            System.out.printf("%s did not cancel cleanly (%s): its open Kafka transactions time out within 10 "
                    + "minutes, or end when the next run of it starts%n", jobName(), e);
        } finally {
            try {
                flink.close();
            } catch (Exception closeFailed) {
                // Shutting down.
            }
        }
        System.out.flush();
    }

    private int flinkRun() throws Exception {
        List<String> command = new ArrayList<>(List.of(flinkExecutable(), "run", "-d"));
        flinkSettings.forEach((key, value) -> command.add(FLINK_OPTION + key + "=" + value));
        command.addAll(List.of("-c", mainClass().getName(), jobJar().toString()));
        command.addAll(jobArguments());
        // Nothing secret is left among the arguments; masking stays as a second line of defence.
        Secrets secrets = new Secrets().addArguments(command.toArray(String[]::new));
        String printable = String.join(" ", command.stream().map(LocalJobCommand::quote).toList());
        spec.commandLine().getOut().println(secrets.redact(printable));
        spec.commandLine().getOut().flush();
        if (!submit) {
            return 0;
        }
        Process flink = new ProcessBuilder(command).inheritIO().start();
        return flink.waitFor();
    }

    /**
     * Every job option whose value differs from its default (from the command line or the config file), except
     * secret Kafka settings, which go to a file that the job reads with {@code --kafka-config}: arguments show in
     * {@code ps}, in the Flink web UI and in shell histories.
     */
    private List<String> jobArguments() throws IOException {
        List<String> args = new ArrayList<>();
        Properties secretSettings = new Properties();
        for (OptionSpec option : spec.options()) {
            String name = option.longestName();
            if (LOCAL_ONLY.contains(name) || option.usageHelp() || option.versionHelp()) {
                continue;
            }
            Object value = option.getValue();
            if (value == null) {
                continue;
            }
            if (value instanceof Map<?, ?> map) {
                map.forEach((k, v) -> {
                    if (Secrets.isSecret(k.toString())) {
                        secretSettings.setProperty(k.toString(), v.toString());
                    } else {
                        args.addAll(List.of("-X", k + "=" + v));
                    }
                });
            } else if (value instanceof Collection<?> values) {
                // Once per element (--allowed-tasks a --allowed-tasks b): the list's own text, "[a, b]", is no value.
                values.forEach(v -> args.addAll(List.of(name, String.valueOf(v))));
            } else if (value instanceof Boolean flag) {
                if (flag) {
                    args.add(name);
                }
            } else if (!String.valueOf(value).equals(option.defaultValue())) {
                args.addAll(List.of(name, String.valueOf(value)));
            }
        }
        if (!secretSettings.isEmpty()) {
            if (args.contains(KAFKA_CONFIG_OPTION)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "secret Kafka settings "
                        + secretSettings.stringPropertyNames() + " are given both as -X (or kafka.* lines of the "
                        + "config file) and beside " + KAFKA_CONFIG_OPTION + ": move them into the "
                        + KAFKA_CONFIG_OPTION + " file");
            }
            Path file = writeOwnerOnly(kafkaConfigOut != null ? kafkaConfigOut
                    : Path.of(System.getProperty("user.home"), ".chorus", jobName() + "-kafka.properties"),
                    secretSettings);
            args.addAll(List.of(KAFKA_CONFIG_OPTION, file.toAbsolutePath().toString()));
        }
        return args;
    }

    /** Writes {@code settings} to {@code file}, readable and writable by this user only where the file system can say so. */
    private static Path writeOwnerOnly(Path file, Properties settings) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        if (!Files.exists(file)) {
            if (posix) {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(file);
            }
        } else if (posix) {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        }
        try (Writer writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            settings.store(writer, "Secret Kafka client settings of a chorus job: read with --kafka-config");
        }
        return file;
    }

    private static String flinkExecutable() {
        String home = System.getenv("FLINK_HOME");
        return home != null ? Path.of(home, "bin", "flink").toString() : "flink";
    }

    /**
     * The shaded job jar the build puts in {@code jobs/target}, beside {@code cli/target} where this command's own jar
     * (or classes directory) sits; or beside that jar itself, for an installation that keeps both in one directory.
     */
    private static Path jobJar() throws Exception {
        Path dir = Path.of(LocalJobCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        List<Path> places = List.of(dir.getParent().resolveSibling("jobs").resolve("target"), dir);
        for (Path place : places) {
            if (!Files.isDirectory(place)) {
                continue;
            }
            try (var files = Files.list(place)) {
                Optional<Path> jar = files.filter(f -> f.getFileName().toString().matches("chorus-jobs-.*-job\\.jar"))
                        .findFirst();
                if (jar.isPresent()) {
                    return jar.get();
                }
            }
        }
        throw new IllegalStateException("no job jar (chorus-jobs-<version>-job.jar) in " + places
                + ": build it with ./mvnw -DskipTests package");
    }

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_./:=@,+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }
}
