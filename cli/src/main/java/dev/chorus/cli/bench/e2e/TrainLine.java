package dev.chorus.cli.bench.e2e;

import dev.chorus.core.blas.Blas;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * A train line, and the warm-up: the train job runs bounded (it stops at the topic's end), with at-least-once sinks
 * and the production checkpoint interval, and is timed from its first prediction (made right after its first record
 * is read) until a model snapshot that has seen all N examples arrives on the models topic. At-least-once, because
 * exactly-once output becomes visible only when the next checkpoint completes, which would time the checkpoint
 * interval rather than the job. Predictions are read after each run, so that decoding them takes no CPU from the job
 * being timed.
 */
final class TrainLine {

    private TrainLine() {}

    /** A train line's figures, and its last snapshot's key and value (the serve line serves it). */
    record TrainRun(Map<String, Object> figures, byte[][] finalSnapshot) {}

    /**
     * Runs a train line until it settles: here, or in a child JVM when the line needs another BLAS backend (whose
     * output topics this JVM creates, the broker being here).
     */
    static TrainRun run(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> examples, Line line,
            long n, int runs, Consumer<String> log) throws Exception {
        checkSpec(line);
        String bootstrap = kafka.bootstrapServers();
        if (line.childBlas() != null) {
            for (int run = 0; run < runs; run++) {
                E2eTopics.createOutputTopics(kafka, boundedSettings(bootstrap, examples, line, line.runPrefix(run)));
            }
            createWarmupTopics(kafka, examples, line.topicPrefix());
            Map<String, Object> figures = ChildJvmLine.run(bootstrap, examples.name(), line, n, runs, log);
            // The child's CPU time leaves out the broker, which runs here; so it is not comparable with the others.
            figures.put("cpu_us_per_example_child_jvm", figures.remove("cpu_us_per_example"));
            figures.put("cpu_seconds_child_jvm", figures.remove("cpu_seconds"));
            return new TrainRun(figures, null);
        }
        return untilSettled(bootstrap, settings -> E2eTopics.createOutputTopics(kafka, settings), flink,
                examples, line, n, Math.min(SettlePolicy.LINE_MIN_RUNS, runs), runs);
    }

    /**
     * Runs a train line until it settles, each run with its own output topics (which {@code createTopics} makes),
     * and returns its median warm run with every run's rate.
     */
    static TrainRun untilSettled(String bootstrap, Consumer<TrainSettings> createTopics, LocalFlinkCluster flink,
            Topic<Example> examples, Line line, long n, int minRuns, int maxRuns) throws Exception {
        List<TrainRun> runs = SettlePolicy.untilSettled(minRuns, maxRuns,
                r -> SteadyRate.EXAMPLES_PER_S.applyAsDouble(r.figures()), run -> {
                    TrainSettings settings = boundedSettings(bootstrap, examples, line, line.runPrefix(run));
                    createTopics.accept(settings);
                    return measure(settings, flink, n, line);
                });
        TrainRun chosen = SettlePolicy.medianWarmRun(runs, r -> SteadyRate.EXAMPLES_PER_S.applyAsDouble(r.figures()));
        SettlePolicy.describeRuns(chosen.figures(), runs.stream().map(TrainRun::figures).toList());
        return chosen;
    }

    /**
     * Skips a line whose spec this build's train job refuses, as it would at job construction: one ModelSpec cannot
     * parse (the Dawid-Skene line until ModelSpec knows labelModel), or an algorithm the job does not train yet.
     */
    static void checkSpec(Line line) throws LineSkipped {
        try {
            TaskSpecs.ofDefault(line.spec());
        } catch (IllegalArgumentException e) {
            throw new LineSkipped("this build's train job refuses the line's spec " + line.spec() + ": "
                    + e.getMessage());
        }
    }

    /** A measured train run: bounded, with the production checkpoint interval, topics and group named by prefix. */
    static TrainSettings boundedSettings(String bootstrap, Topic<Example> examples, Line line, String prefix) {
        return settings(bootstrap, examples, line, prefix).bounded(true)
                .checkpointIntervalMs(E2eBenchmark.CHECKPOINT_INTERVAL_MS);
    }

    /** A run's settings: {@code examples} in its own wire format, the run's output topics in Avro. */
    static TrainSettings settings(String bootstrap, Topic<Example> examples, Line line, String prefix) {
        return new TrainSettings()
                .bootstrapServers(bootstrap)
                .groupId(prefix)
                .examplesTopic(examples)
                .predictionsTopic(new Topic<>(prefix + "-predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "-models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .annotatorsTopic(new Topic<>(prefix + "-annotators", AnnotatorModel.class, WireFormat.AVRO))
                .specs(TaskSpecs.ofDefault(line.spec()))
                .exactlyOnce(false)
                .parallelism(line.parallelism());
    }

    /**
     * Runs the bounded train job and times it from its first prediction to the arrival of a snapshot that has
     * seen all {@code n} examples (or, if none ever does, the last snapshot: {@code all_examples_seen} false).
     */
    static TrainRun measure(TrainSettings settings, LocalFlinkCluster flink, long n, Line line) throws Exception {
        String bootstrap = settings.bootstrapServers();
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        SnapshotWatch snapshots = new SnapshotWatch(settings.modelsTopic().codec(), n);
        try (TopicFollower m = new TopicFollower(bootstrap, settings.modelsTopic().name(), snapshots::accept)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobRun run = JobRun.runToEnd(flink, env, "chorus-train (e2e " + line.key() + ")");
            snapshots.awaitFinal(E2eBenchmark.PATIENCE);
            double cpu = JobRun.processCpuSeconds() - run.cpuAtSubmit();
            // Read after the run, so that decoding N predictions does not take CPU from the job it times.
            predictions.countAll(bootstrap, settings.predictionsTopic().name());

            ModelSnapshot last = snapshots.last();
            if (last == null) {
                throw new IllegalStateException(line.key() + ": the train job published no model snapshot");
            }
            Map<String, Object> figures = SteadyRate.rateFigures(predictions, snapshots.finalArrival(), n, run, cpu);
            figures.put("examples_seen", snapshots.examplesSeen());
            figures.put("all_examples_seen", snapshots.examplesSeen() == n);
            if (line.tasks() > 1) {
                figures.put("examples_seen_by_task", snapshots.examplesSeenByTask());
            }
            figures.put("model_version", last.getVersion());
            figures.put("snapshot_bytes", snapshots.lastValue().length);
            figures.put("snapshots", snapshots.count());
            figures.put("predictions", predictions.count());
            figures.put("dead_letters",
                    E2eTopics.total(E2eTopics.endOffsets(bootstrap, settings.deadLetterTopic().name())));
            figures.put("parallelism", line.parallelism());
            figures.put("tasks", line.tasks());
            figures.put("training_subtasks", Math.min(line.tasks(), line.parallelism()));
            figures.put("blas_backend", Blas.get().backend().name());
            return new TrainRun(figures, new byte[][] {snapshots.lastKey(), snapshots.lastValue()});
        }
    }

    /**
     * Runs the {@link Line#WARMUP} line until its rate settles ({@link SettlePolicy}); the figures of the first,
     * cold run, and every rate.
     */
    static Map<String, Object> warmUp(String bootstrap, LocalFlinkCluster flink, Topic<Example> examples, long n,
            String prefix) throws Exception {
        List<Map<String, Object>> runs = SettlePolicy.untilSettled(SettlePolicy.WARMUP_MIN_RUNS,
                SettlePolicy.WARMUP_MAX_RUNS, SteadyRate.EXAMPLES_PER_S,
                run -> measure(warmupSettings(bootstrap, examples, prefix, run), flink, n, Line.WARMUP).figures());
        Map<String, Object> cold = runs.get(0);
        cold.put("runs_examples_per_s", runs.stream().map(r -> r.get("examples_per_s")).toList());
        return cold;
    }

    private static TrainSettings warmupSettings(String bootstrap, Topic<Example> examples, String prefix, int run) {
        return boundedSettings(bootstrap, examples, Line.WARMUP, prefix + "-warmup-" + run);
    }

    static void createWarmupTopics(EmbeddedKafkaBroker kafka, Topic<Example> examples, String prefix) {
        for (int run = 0; run < SettlePolicy.WARMUP_MAX_RUNS; run++) {
            E2eTopics.createOutputTopics(kafka, warmupSettings(kafka.bootstrapServers(), examples, prefix, run));
        }
    }
}
