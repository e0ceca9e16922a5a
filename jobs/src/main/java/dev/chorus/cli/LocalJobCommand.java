package dev.chorus.cli;

import dev.chorus.runtime.LocalFlinkCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that runs one Chorus job on a local Flink MiniCluster until it ends or Ctrl-C, or, with
 * {@code --flink-run}, prints the {@code flink run} command that runs the same job on a cluster (and, with
 * {@code --submit}, runs it).
 */
abstract class LocalJobCommand implements Callable<Integer> {

    /** Options that only shape the local run, so they are not passed to the job on a cluster. */
    private static final Set<String> LOCAL_ONLY = Set.of("--slots", "--web-ui-port", "--flink-run", "--submit",
            "--help", "--version", "--verbose", "--config");

    @Spec
    CommandSpec spec;

    @Option(names = "--flink-run",
            description = "Print the `flink run` command that runs this job, with these options, on a Flink cluster "
                    + "(with the job jar the build makes) instead of running it here. Secrets are masked.")
    boolean flinkRun;

    @Option(names = "--submit",
            description = "With --flink-run: also run that command with the Flink CLI ($FLINK_HOME/bin/flink, else "
                    + "flink on PATH).")
    boolean submit;

    @Option(names = "--slots", defaultValue = "2", description = "Task slots of the local cluster (default: ${DEFAULT-VALUE}).")
    int slots;

    @Option(names = "--web-ui-port", defaultValue = "0", description = "Flink web UI port; 0 picks a free one from 8081.")
    int webUiPort;

    /** The job's name on the cluster. */
    abstract String jobName();

    /** The job's configured parallelism, or a value <= 0 to use every slot. */
    abstract int parallelism();

    /** Adds the job to {@code env}. */
    abstract void build(StreamExecutionEnvironment env);

    /** The job's main class on a cluster. */
    abstract Class<?> mainClass();

    @Override
    public Integer call() throws Exception {
        if (flinkRun || submit) {
            return flinkRun();
        }
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(slots, webUiPort)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            env.setParallelism(parallelism() > 0 ? parallelism() : slots);
            build(env);
            JobID job = flink.submit(env, jobName());
            System.out.printf("%s %s running; Flink web UI at %s (Ctrl-C stops it)%n", jobName(), job, flink.webUi());
            flink.await(job);
        }
        return 0;
    }

    private int flinkRun() throws Exception {
        List<String> command = new ArrayList<>(List.of(flinkExecutable(), "run", "-d", "-c", mainClass().getName(),
                jobJar().toString()));
        command.addAll(jobArguments());
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

    /** Every job option whose value differs from its default (from the command line or the config file). */
    private List<String> jobArguments() {
        List<String> args = new ArrayList<>();
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
                map.forEach((k, v) -> args.addAll(List.of("-X", k + "=" + v)));
            } else if (value instanceof Boolean flag) {
                if (flag) {
                    args.add(name);
                }
            } else if (!String.valueOf(value).equals(option.defaultValue())) {
                args.addAll(List.of(name, String.valueOf(value)));
            }
        }
        return args;
    }

    private static String flinkExecutable() {
        String home = System.getenv("FLINK_HOME");
        return home != null ? Path.of(home, "bin", "flink").toString() : "flink";
    }

    /** The shaded job jar beside the jar this command runs from ({@code jobs/target/chorus-jobs-<version>-job.jar}). */
    private static Path jobJar() throws Exception {
        // The CLI's own jar (or classes directory) sits in jobs/target, where the build puts the job jar too.
        Path dir = Path.of(LocalJobCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().matches("chorus-jobs-.*-job\\.jar")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no job jar (chorus-jobs-<version>-job.jar) in " + dir
                            + ": build it with ./mvnw -DskipTests package"));
        }
    }

    private static String quote(String arg) {
        return arg.matches("[A-Za-z0-9_./:=@,+-]+") ? arg : "'" + arg.replace("'", "'\\''") + "'";
    }
}
