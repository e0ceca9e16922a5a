package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.metrics.ClassificationMetrics;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.output.Scored;
import dev.chorus.core.select.PairedComparison;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.select.SelectionSettings;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A task of 100,000 classes (Zipf class frequencies, named fields that determine the class) through the train job on
 * a real broker and MiniCluster: every example's committed prediction carries the top 5 classes, their
 * probabilities summing to at most 1, exactly those model-core's {@link LargeOutputModel} gives fed the same
 * minibatches, and the last published model is bit for bit model-core's; an example labelled outside
 * [0, 100000) is a dead letter naming the label, and trains nothing. The selection scores every prediction from its
 * top 5 ({@link ClassificationMetrics#exampleTopKLogLoss}): the task's standings count them all.
 */
class LargeOutputTaskIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(1, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int CLASSES = 100_000;
    static final int N = 480; // 30 minibatches of 16
    static final String TASK = "many";

    @Test
    void aHundredThousandClassTaskTrainsAndPredictsTopKBitForBitAsModelCore() throws Exception {
        String spec = LargeOutputExamples.spec(CLASSES);
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("large-output-it")
                .specs(TaskSpecs.of(null, Map.of(TASK, spec)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(10)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .selection(new SelectionSettings(PairedComparison.Settings.defaults(), 1000, 200))
                .parallelism(1);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);
        List<Example> examples = LargeOutputExamples.stream(TASK, N, CLASSES, 31);
        LargeOutputExamples.Reference reference = LargeOutputExamples.reference(spec, examples);
        List<Example> sent = new ArrayList<>(examples);
        Example outside = LargeOutputExamples.example(TASK, N, CLASSES, 31);
        outside.setId("outside");
        outside.setLabel(CLASSES);
        sent.add(100, outside);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("large-output-it");
        List<Prediction> predictions;
        ModelSnapshot last;
        List<DeadLetter> deadLetters;
        Champion standings;
        try {
            JobTestSupport.produceSlowly(KAFKA.broker(), settings.examplesTopic(), sent, 64);
            predictions = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), p -> true, N);
            last = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                    m -> m.getExamplesSeen() >= N, 1).get(0);
            deadLetters = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(), d -> true, 1);
            standings = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> c.getStandings().get(0).getLabelledExamples() == N, 1).get(0);
        } finally {
            JobTestSupport.cancel(job);
        }

        assertThat(predictions).hasSize(N);
        Map<String, Prediction> byId = predictions.stream()
                .collect(Collectors.toMap(Prediction::getId, Function.identity()));
        for (int i = 0; i < N; i++) {
            Prediction p = byId.get(examples.get(i).getId());
            List<Scored> expected = reference.top().get(i);
            assertThat(p.getModelVersion()).isEqualTo(i / 16);
            assertThat(p.getProbabilities().remaining()).as("no dense probabilities at 100,000 classes").isZero();
            assertThat(p.getTopClasses()).as("example %d", i)
                    .containsExactlyElementsOf(expected.stream().map(Scored::id).toList());
            float[] top = Float32.unpack(p.getTopProbabilities());
            double sum = 0;
            for (int k = 0; k < top.length; k++) {
                assertThat(top[k]).as("example %d rank %d", i, k).isEqualTo((float) expected.get(k).score());
                sum += top[k];
            }
            assertThat(sum).isLessThanOrEqualTo(1.0 + 1e-6);
            assertThat(p.getPredictedClass()).isEqualTo(p.getTopClasses().get(0));
        }
        double loss = 0;
        for (Prediction p : predictions) {
            loss += ClassificationMetrics.exampleTopKLogLoss(p.getTopClasses().stream().mapToInt(c -> c).toArray(),
                    Float32.unpack(p.getTopProbabilities()), CLASSES, p.getLabel());
        }
        double meanLoss = loss / N;
        assertThat(standings.getTask()).isEqualTo(TASK);
        assertThat(standings.getVariant()).isEqualTo("default");
        assertThat(standings.getStandings()).singleElement().satisfies(s -> {
            assertThat(s.getLossMean()).isCloseTo(meanLoss, within(1e-9));
            assertThat(s.getAccuracy()).isEqualTo(predictions.stream()
                    .filter(p -> p.getPredictedClass().equals(p.getLabel())).count() / (double) N);
        });
        assertThat(last.getVersion()).isEqualTo(N / 16);
        assertThat(last.getParametersFormat()).isEqualTo(LargeOutputModel.FORMAT_VERSION);
        assertThat(JobTestSupport.bytes(last.getParameters())).as("the published model against model-core's")
                .isEqualTo(reference.model().toBytes());
        assertThat(deadLetters).singleElement().satisfies(d -> {
            assertThat(d.getField()).isEqualTo("label");
            assertThat(d.getReason()).contains("100000");
        });
    }
}
