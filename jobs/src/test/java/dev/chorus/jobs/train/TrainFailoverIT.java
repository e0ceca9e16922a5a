package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Nothing lost, nothing doubled: the TaskManager running the train job is killed twice mid-stream. After the
 * job recovers on its own, every example has exactly one committed prediction, the model has seen exactly the
 * input, and its parameters and optimizer state are bit-identical to training on the same input without
 * interruption (single partition, minibatches closed by count). The same stream also carries a second task,
 * {@code crowd}, whose labels come from five annotators and which learns through a Dawid–Skene label model:
 * its label model (classifier, confusions, item history) is bit-identical too, and the label counts of its
 * annotators on the annotators topic are exact.
 */
class TrainFailoverIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    static final int BATCH = 16;
    static final int N = 6400; // 400 minibatches: the last one is also a snapshot (every 25)
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":11}""";

    static final String CROWD = "crowd";
    static final String CROWD_SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":11,
             "labelModel":{"method":"dawid-skene","maxAnnotators":8}}""";
    static final int ANNOTATORS = 5;

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void killedTaskManagersCostNothing(@InjectMiniCluster MiniCluster cluster) throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("failover-it")
                .specs(TaskSpecs.of(SPEC, Map.of(CROWD, CROWD_SPEC)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(1);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobClient job = env.executeAsync("failover-it");

        LabeledDataset data = SyntheticBlobs.generate(N, 8, 3, 21);
        List<Example> examples = interleaved(data);
        // Kill the only TaskManager twice, and give the job a new one each time; the input after each kill is sent
        // only once it is done, so each restored task trains on from what it restored. Each phase ends with an open
        // minibatch of 4 rows per task (2,404 and 4,804 rows each), for the checkpoints before the kills to hold.
        JobTestSupport.produceThroughKills(cluster, job, KAFKA.broker(), settings.predictionsTopic(), p -> true,
                examples.size(), new int[] {4808, 9608}, new int[] {1200, 3600},
                (from, to) -> JobTestSupport.produceSlowly(KAFKA.broker(), settings.examplesTopic(),
                        examples.subList(from, to), 32));
        ModelSnapshot last = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                m -> m.getTask().equals("blobs") && m.getExamplesSeen() >= N, 1).get(0);
        ModelSnapshot lastCrowd = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                m -> m.getTask().equals(CROWD) && m.getExamplesSeen() >= N, 1).get(0);
        // Each sink commits its own transaction of the last checkpoint: the models' being visible does not mean the
        // predictions' and the annotators' are, and a cancel before their commits would leave them open for good.
        JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), p -> true, 2 * N);
        JobTestSupport.awaitCommittedValues(KAFKA.broker(), settings.annotatorsTopic(),
                a -> a.getVersion() == N / BATCH, ANNOTATORS);
        var graph = cluster.getExecutionGraph(job.getJobID()).get();
        JobTestSupport.cancel(job);
        assertThat(graph.getAllExecutionVertices()).as("every task recovered from both kills")
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isGreaterThanOrEqualTo(2));

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        Map<String, Long> perExample = predictions.stream().collect(Collectors.groupingBy(
                p -> p.getId() + "/" + p.getAnnotator(), Collectors.counting()));
        assertThat(perExample).hasSize(2 * N);
        assertThat(predictions).as("exactly one committed prediction per example").hasSize(2 * N);
        assertThat(last.getExamplesSeen()).isEqualTo(N);
        assertThat(last.getVersion()).isEqualTo(N / BATCH);
        assertThat(JobTestSupport.bytes(last.getParameters())).as("bit-identical to an uninterrupted run")
                .isEqualTo(uninterrupted(settings).toBytes());

        LabelModel crowd = uninterruptedCrowd(settings);
        assertThat(lastCrowd.getVersion()).isEqualTo(N / BATCH);
        assertThat(JobTestSupport.bytes(lastCrowd.getParameters())).as("the label model is bit-identical to an uninterrupted run")
                .isEqualTo(crowd.toSnapshotBytes());
        Map<String, AnnotatorModel> latest = new HashMap<>();
        for (AnnotatorModel a : JobTestSupport.read(KAFKA.broker(), settings.annotatorsTopic())) {
            AnnotatorModel before = latest.put(a.getAnnotator(), a);
            if (before != null) {
                assertThat(a.getVersion()).as("versions of %s increase", a.getAnnotator())
                        .isGreaterThan(before.getVersion());
            }
        }
        assertThat(latest).hasSize(ANNOTATORS);
        assertThat(latest.values()).as("exact label counts after two failovers").allSatisfy(a -> {
            assertThat(a.getVersion()).isEqualTo(N / BATCH);
            assertThat(a.getLabelsSeen()).isEqualTo(N / ANNOTATORS);
            assertThat(a.getLabelsSeen()).isEqualTo(crowd.labelsSeen(a.getAnnotator()));
        });
    }

    /** The crowd task's examples, in partition order, through the same label model with no job at all. */
    private static LabelModel uninterruptedCrowd(TrainSettings settings) {
        LabelModel model = LabelModels.create(ModelSpec.parse(CROWD_SPEC));
        List<Example> examples = JobTestSupport.read(KAFKA.broker(), settings.examplesTopic()).stream()
                .filter(e -> e.getTask().equals(CROWD)).toList();
        assertThat(examples).hasSize(N);
        float[] x = new float[BATCH * 8];
        long[] items = new long[BATCH];
        String[] annotators = new String[BATCH];
        int[] y = new int[BATCH];
        for (int start = 0; start < N; start += BATCH) {
            for (int i = 0; i < BATCH; i++) {
                Example e = examples.get(start + i);
                ExampleTensors.copyFeatures(e, x, i * 8, 8);
                items[i] = ExampleTensors.itemKey(e.getId());
                annotators[i] = e.getAnnotator();
                y[i] = e.getLabel();
            }
            model.train(x, items, annotators, y, BATCH);
        }
        return model;
    }

    /** The same input, in partition order, trained in minibatches of 16 with no job at all. */
    private static OnlineLearner uninterrupted(TrainSettings settings) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        List<Example> examples = JobTestSupport.read(KAFKA.broker(), settings.examplesTopic()).stream()
                .filter(e -> e.getTask().equals("blobs")).toList();
        assertThat(examples).hasSize(N);
        float[] x = new float[BATCH * 8];
        int[] y = new int[BATCH];
        float[] w = new float[BATCH];
        for (int start = 0; start < N; start += BATCH) {
            for (int i = 0; i < BATCH; i++) {
                Example e = examples.get(start + i);
                ExampleTensors.copyFeatures(e, x, i * 8, 8);
                y[i] = e.getLabel();
                w[i] = e.getWeight();
            }
            learner.trainMinibatch(x, y, w, BATCH);
        }
        return learner;
    }

    /** The examples task's row, then the crowd task's label event of the same row, for every row of {@code data}. */
    private static List<Example> interleaved(LabeledDataset data) {
        List<Example> examples = new ArrayList<>();
        for (int row = 0; row < data.size(); row++) {
            examples.add(ExampleProducer.example(data, row, "blobs", "ex", 0));
            // The crowd task: item row / 2, labelled twice by different annotators; annotator a4 is a shifter.
            examples.add(JobTestSupport.crowdExample(data, row, CROWD, ANNOTATORS));
        }
        return examples;
    }
}
