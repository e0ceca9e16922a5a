package dev.chorus.cli.bench.e2e;

import dev.chorus.cli.ChorusCli;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine;

/**
 * {@code bench select}'s cost of variants: the train job (bounded, at-least-once, parallelism 2, the production
 * checkpoint interval) on an embedded KRaft broker and a MiniCluster in this JVM, over one examples topic of
 * Fashion-MNIST records filled once as {@code bench e2e} fills it, with 1, 4 and 16 softmax variants of its one task.
 * Variant {@code default} is {@code --spec}; the others ({@code v1}, {@code v2}, ...: the same softmax with other
 * seeds) are written to each run's own control topic with {@code chorus specs put} before the job starts.
 *
 * <p>CPU is this JVM's process CPU time (the broker, the MiniCluster, the benchmark's consumers) from the job's
 * submission to the arrival of its final snapshot, minus what reading the same topic with a plain consumer costs
 * (the raw-consume line, run here once): what is left is the job's cost of decoding, routing, training, predicting
 * and writing. It is divided by the (example, variant) pairs trained, counted as the predictions written: the control
 * topic is broadcast while the examples flow, so a variant may miss a task's first examples. The extra variant's cost
 * is the slope from 1 to 16 variants per pair. A lone variant's cost per example is a slope too: one variant over a
 * second topic of twice the examples, less the run over the first, net of the raw consumer's same difference, per
 * example added. A run's costs that do not grow with the examples (submitting and deploying the job, its checkpoints,
 * the JIT, ending it) cancel in both slopes; divided by a lone run's whole CPU per example
 * ({@code extra_variant_cpu_ratio_to_lone_average}, kept for comparison) they flattered the ratio.
 */
public final class VariantsCostTrack {

    /** Variant counts measured, in the order they run. */
    public static final List<Integer> VARIANTS = List.of(1, 4, 16);
    static final int PARALLELISM = 2;
    /** The target: an extra variant costs at most this many times a lone variant. */
    static final double TARGET_RATIO = 1.2;

    private VariantsCostTrack() {}

    /**
     * Fills a topic with {@code n} records of {@code data} and another with {@code 2n}, warms the JVM up with one
     * unmeasured run of one variant, measures the raw consumer over each, one variant over the second, and each
     * variant count over the first once, and returns {@code {v1: {...}, v4: {...}, v16: {...}, v1_twice: {...},
     * raw_consume: {...}, raw_consume_twice: {...}, extra_variant_cpu_ratio, ...}}.
     */
    public static Map<String, Object> run(LabeledDataset data, int n, Consumer<String> log) throws Exception {
        Map<String, Object> out = new LinkedHashMap<>();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(PARALLELISM, 0)) {
            Topic<Example> examples = new Topic<>("select-variants-examples", Example.class, WireFormat.AVRO);
            E2eTopics.fill(kafka, examples, data, 1, n, false, log);
            Topic<Example> twice = new Topic<>("select-variants-examples-twice", Example.class, WireFormat.AVRO);
            E2eTopics.fill(kafka, twice, data, 1, 2 * n, false, log);
            String bootstrap = kafka.bootstrapServers();

            measure(kafka, flink, examples, n, 1, "warmup");
            Map<String, Object> raw = RawConsumeLine.run(bootstrap, examples.name(), n);
            double rawCpu = (double) raw.get("cpu_seconds");
            out.put("raw_consume", raw);
            Map<String, Object> rawTwice = RawConsumeLine.run(bootstrap, twice.name(), 2 * n);
            out.put("raw_consume_twice", rawTwice);
            Map<String, Object> loneTwice = measure(kafka, flink, twice, 2 * n, 1, "v1_twice");
            double netTwice = (double) loneTwice.get("cpu_seconds") - (double) rawTwice.get("cpu_seconds");
            loneTwice.put("cpu_seconds_net_of_raw_consume", netTwice);
            out.put("v1_twice", loneTwice);
            Map<Integer, Map<String, Object>> byCount = new TreeMap<>();
            for (int variants : VARIANTS) {
                Map<String, Object> figures = measure(kafka, flink, examples, n, variants, "v" + variants);
                double net = (double) figures.get("cpu_seconds") - rawCpu;
                figures.put("cpu_seconds_net_of_raw_consume", net);
                figures.put("cpu_us_per_example_per_variant", net * 1e6 / (long) figures.get("variant_examples"));
                byCount.put(variants, figures);
                out.put("v" + variants, figures);
                log.accept(String.format(Locale.ROOT, "variants %2d: %,10.0f examples/s, %8.1f CPU us per example "
                        + "per variant (net of raw consume)", variants, (double) figures.get("examples_per_s"),
                        (double) figures.get("cpu_us_per_example_per_variant")));
            }
            Map<String, Object> one = byCount.get(1);
            Map<String, Object> most = byCount.get(VARIANTS.get(VARIANTS.size() - 1));
            double loneAverage = (double) one.get("cpu_seconds_net_of_raw_consume")
                    / (long) one.get("variant_examples");
            double lone = (netTwice - (double) one.get("cpu_seconds_net_of_raw_consume"))
                    / ((long) loneTwice.get("variant_examples") - (long) one.get("variant_examples"));
            double extra = ((double) most.get("cpu_seconds_net_of_raw_consume")
                    - (double) one.get("cpu_seconds_net_of_raw_consume"))
                    / ((long) most.get("variant_examples") - (long) one.get("variant_examples"));
            out.putAll(ratio(extra, lone, loneAverage));
            out.put("examples", n);
            out.put("parallelism", PARALLELISM);
            out.put("spec", Line.SOFTMAX);
            Object ratio = out.get("extra_variant_cpu_ratio");
            log.accept(ratio == null
                    ? "variants: an extra variant's cost is not measured: "
                            + out.get("extra_variant_cpu_ratio_unmeasured")
                    : String.format(Locale.ROOT, "variants: an extra variant costs %.2fx a lone one's CPU "
                            + "(target <= %.1fx)", (double) ratio, TARGET_RATIO));
        }
        return out;
    }

    /**
     * The ratio's figures from the two slopes (CPU seconds per (example, variant) pair) and a lone run's average. A
     * slope is a difference of timings: over few examples the noise can outweigh it, and a slope that is not positive
     * measures nothing. Then the ratio and the target's verdict are absent ({@code null}) and
     * {@code extra_variant_cpu_ratio_unmeasured} says why, rather than a negative ratio passing for "met".
     */
    static Map<String, Object> ratio(double extra, double lone, double loneAverage) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("extra_variant_cpu_us_per_example", extra * 1e6);
        out.put("lone_variant_cpu_us_per_example", lone * 1e6);
        out.put("lone_variant_cpu_us_per_example_average", loneAverage * 1e6);
        boolean measured = lone > 0 && extra > 0 && Double.isFinite(lone) && Double.isFinite(extra);
        out.put("extra_variant_cpu_ratio", measured ? extra / lone : null);
        out.put("extra_variant_cpu_ratio_to_lone_average",
                extra > 0 && loneAverage > 0 && Double.isFinite(extra) ? extra / loneAverage : null);
        out.put("target_extra_variant_at_most_1_2x_met", measured ? extra / lone <= TARGET_RATIO : null);
        if (!measured) {
            boolean loneFine = lone > 0 && Double.isFinite(lone);
            out.put("extra_variant_cpu_ratio_unmeasured", String.format(Locale.ROOT, "the %s variant's slope is "
                    + "%.2f us per example, not positive: the run is too short for its timing noise (use a larger "
                    + "--limit)", loneFine ? "extra" : "lone", (loneFine ? extra : lone) * 1e6));
        }
        return out;
    }

    /** One bounded run with {@code variants} variants, its own topics and group named by {@code name}. */
    private static Map<String, Object> measure(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink,
            Topic<Example> examplesTopic, int n, int variants, String name) throws Exception {
        Line line = new Line("select_variants." + name, Line.Kind.TRAIN, Line.SOFTMAX, PARALLELISM, 1, null,
                "train softmax with " + variants + " variants, parallelism " + PARALLELISM);
        String prefix = line.topicPrefix();
        TrainSettings settings = TrainLine.boundedSettings(kafka.bootstrapServers(), examplesTopic, line, prefix)
                .specsTopic(new Topic<>(prefix + "-specs", VariantSpecRecord.class, WireFormat.AVRO));
        E2eTopics.createOutputTopics(kafka, settings);
        for (int v = 1; v < variants; v++) {
            putVariant(settings, "v" + v, Line.SOFTMAX.replace("\"seed\":42", "\"seed\":" + (42 + v)));
        }
        SnapshotWatch snapshots = new SnapshotWatch(settings.modelsTopic().codec(), n);
        Map<String, Object> figures;
        try (TopicFollower m = new TopicFollower(kafka.bootstrapServers(), settings.modelsTopic().name(),
                snapshots::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobRun run = JobRun.runToEnd(flink, env, "chorus-train (bench select " + name + ")");
            snapshots.awaitFinal(E2eBenchmark.PATIENCE);
            double cpu = JobRun.processCpuSeconds() - run.cpuAtSubmit();
            // Counted after the run, so that decoding the predictions takes no CPU from the job it times.
            long written = E2eTopics.total(E2eTopics.endOffsets(kafka.bootstrapServers(),
                    settings.predictionsTopic().name()));
            PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), written);
            predictions.countAll(kafka.bootstrapServers(), settings.predictionsTopic().name());
            figures = SteadyRate.rateFigures(predictions, snapshots.finalArrival(), n, run, cpu);
            // The steady rate counts predictions, one per example and variant: per example it is that over variants.
            figures.put("examples_per_s", (double) figures.get("examples_per_s") * n / written);
            figures.put("variant_examples", written);
        }
        Map<String, Long> seen = new TreeMap<>();
        TopicReader.readLatest(kafka.bootstrapServers(), Map.of(), settings.modelsTopic().name(),
                settings.modelsTopic().codec()::decode)
                .values().forEach(snapshot -> seen.put(snapshot.getVariant(), snapshot.getExamplesSeen()));
        if (seen.size() != variants) {
            throw new IllegalStateException(name + ": expected snapshots of " + variants + " variants, got " + seen);
        }
        figures.put("variants", variants);
        figures.put("examples_seen_by_variant", seen);
        figures.put("dead_letters",
                E2eTopics.total(E2eTopics.endOffsets(kafka.bootstrapServers(), settings.deadLetterTopic().name())));
        return figures;
    }

    /** Makes {@code variant} of the topic's task live on the run's control topic, as {@code chorus specs put} does. */
    private static void putVariant(TrainSettings settings, String variant, String spec) {
        CommandLine cli = ChorusCli.commandLine();
        StringWriter said = new StringWriter();
        cli.setOut(new PrintWriter(said, true));
        cli.setErr(new PrintWriter(said, true));
        int exit = cli.execute("specs", "put", E2eTopics.TASK, variant, spec, "--bootstrap-servers",
                settings.bootstrapServers(), "--specs-topic", settings.specsTopic().name());
        if (exit != 0) {
            throw new IllegalStateException("chorus specs put " + E2eTopics.TASK + " " + variant + " exited with "
                    + exit + ": " + said);
        }
    }
}
