package dev.chorus.cli.bench.e2e;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.cli.bench.ChildJvm;
import dev.chorus.core.blas.Blas;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A train line on another BLAS backend: in a child JVM ({@code -Dchorus.blas=java}), since the backend is chosen
 * once per JVM, against this JVM's broker; the child warms up and settles as this one does.
 */
final class ChildJvmLine {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ChildJvmLine() {}

    /**
     * Runs a train line in a child JVM on the line's BLAS backend ({@code -Dchorus.blas}), with this JVM's class
     * path and module flags, against the same broker; the child writes its figures to a JSON file.
     */
    static Map<String, Object> run(String bootstrap, String examplesTopic, Line line, long n, int runs,
            Consumer<String> log) throws Exception {
        Path out = Files.createTempFile("chorus-e2e-" + line.topicPrefix(), ".json");
        try {
            List<String> command = ChildJvm.command(Map.of(Blas.BACKEND_PROPERTY, line.childBlas().key()),
                    ChildJvmLine.class, List.of(line.key(), bootstrap, examplesTopic, String.valueOf(n),
                            String.valueOf(runs), out.toString()));
            log.accept(line.key() + ": in a child JVM with -D" + Blas.BACKEND_PROPERTY + "=" + line.childBlas().key());
            Process child = new ProcessBuilder(command).inheritIO().start();
            if (!child.waitFor(E2eBenchmark.PATIENCE.toMinutes() * 2, TimeUnit.MINUTES)) {
                child.destroyForcibly();
                throw new IllegalStateException(line.key() + ": the child JVM did not finish within "
                        + E2eBenchmark.PATIENCE.multipliedBy(2));
            }
            if (child.exitValue() != 0) {
                throw new IllegalStateException(line.key() + ": the child JVM exited with " + child.exitValue()
                        + " (its error is above, its log in the log directory)");
            }
            return JSON.readValue(out.toFile(), new TypeReference<LinkedHashMap<String, Object>>() { });
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * The child JVM's entry point (internal): {@code LINE BOOTSTRAP EXAMPLES_TOPIC N RUNS OUT_JSON}. Runs one train
     * line, whose topics the parent created, on its own MiniCluster and writes the line's figures to OUT_JSON.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 6) {
            System.err.println("usage (internal, started by chorus bench e2e): ChildJvmLine LINE BOOTSTRAP "
                    + "EXAMPLES_TOPIC N RUNS OUT_JSON");
            System.exit(2);
        }
        Line line = Line.of(args[0]);
        Topic<Example> examples = new Topic<>(args[2], Example.class, WireFormat.AVRO);
        long n = Long.parseLong(args[3]);
        int runs = Integer.parseInt(args[4]);
        Map<String, Object> figures;
        try (LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            Map<String, Object> cold = TrainLine.warmUp(args[1], flink, examples, n, line.topicPrefix());
            // The parent made every run's topics.
            figures = TrainLine.untilSettled(args[1], settings -> { }, flink, examples, line, n,
                    Math.min(SettlePolicy.LINE_MIN_RUNS, runs), runs).figures();
            figures.put("cold_jvm_examples_per_s", cold.get("examples_per_s"));
            figures.put("warmup_runs_examples_per_s", cold.get("runs_examples_per_s"));
        }
        JSON.writeValue(Path.of(args[5]).toFile(), figures);
        System.exit(0);
    }
}
