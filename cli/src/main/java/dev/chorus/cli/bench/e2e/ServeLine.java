package dev.chorus.cli.bench.e2e;

import dev.chorus.core.blas.Blas;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.serve.ServeJob;
import dev.chorus.jobs.serve.ServeSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The serve line: the serve job, bounded, with a model a train line of this run made, timed from its first
 * prediction until the broker appended the last (the predictions topics stamp records with {@code LogAppendTime}).
 */
final class ServeLine {

    private ServeLine() {}

    /**
     * Serves every example of {@code examples} with {@code model} (the key and value of the last softmax snapshot a
     * train line of this run published) in the line's {@code runIndex}-th run.
     */
    static Map<String, Object> run(EmbeddedKafkaBroker kafka, LocalFlinkCluster flink, Topic<Example> examples,
            Line line, byte[][] model, int n, int runIndex) throws Exception {
        if (model == null) {
            throw new LineSkipped("no softmax train line ran before it to make the model it serves "
                    + "(add softmax.p1 to --lines)");
        }
        String prefix = line.runPrefix(runIndex);
        ServeSettings settings = new ServeSettings()
                .bootstrapServers(kafka.bootstrapServers())
                .groupId(prefix)
                .examplesTopic(examples)
                .predictionsTopic(new Topic<>(prefix + "-predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "-models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "-dead-letters", DeadLetter.class, WireFormat.AVRO))
                .exactlyOnce(false)
                .checkpointIntervalMs(E2eBenchmark.CHECKPOINT_INTERVAL_MS)
                .bounded(true)
                // Examples read before the model arrives wait for it instead of becoming dead letters.
                .maxWaitingPerTask(n)
                .parallelism(line.parallelism());
        E2eTopics.createOutputTopics(kafka, settings);
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            producer.sendRaw(settings.modelsTopic().name(), new String(model[0], StandardCharsets.UTF_8),
                    model[1]).get(30, TimeUnit.SECONDS);
        }
        PredictionClock predictions = new PredictionClock(settings.predictionsTopic().codec(), n);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        ServeJob.build(env, settings);
        JobRun run = JobRun.runToEnd(flink, env, "chorus-serve (e2e " + line.key() + ")");
        double cpu = JobRun.processCpuSeconds() - run.cpuAtSubmit();
        // Read after the run (see TrainLine); the broker stamped each prediction when it appended it.
        predictions.countAll(kafka.bootstrapServers(), settings.predictionsTopic().name());
        Map<String, Object> figures = SteadyRate.rateFigures(predictions, predictions.lastAppendedAt(), n, run, cpu);
        figures.put("predictions", predictions.count());
        figures.put("dead_letters",
                E2eTopics.total(E2eTopics.endOffsets(kafka.bootstrapServers(), settings.deadLetterTopic().name())));
        figures.put("model", "softmax, the final snapshot of the last softmax train line");
        figures.put("parallelism", line.parallelism());
        figures.put("blas_backend", Blas.get().backend().name());
        return figures;
    }
}
