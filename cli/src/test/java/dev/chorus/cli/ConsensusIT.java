package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.annotators.BatchDawidSkene;
import dev.chorus.core.annotators.ConfusionEstimates;
import dev.chorus.core.annotators.LabelStream;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.StringJoiner;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A label-only task (no features) fed from kcat in JSON: the train job publishes each item's consensus on the
 * consensus topic; its most likely classes agree with batch MAP Dawid–Skene under the task's prior run to convergence
 * on the same labels, and a run whose TaskManager is killed halfway commits exactly the consensus records of an
 * uninterrupted run.
 */
class ConsensusIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(20));

    static final String TASK = "sentiment";
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":0,"numClasses":3,"batchSize":16,
             "labelModel":{"method":"dawid-skene","maxAnnotators":32}}""";
    static final int ITEMS = 320;
    static final int LABELS_PER_ITEM = 5;
    static final int EVENTS = ITEMS * LABELS_PER_ITEM; // 1,600: 100 minibatches, the last one a snapshot (every 25)
    static final int ANNOTATORS = 20;
    static final int K = 3;

    @Test
    void consensusMatchesBatchDawidSkeneAndSurvivesFailoverExactly(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        KcatReadmeIT.assumeKcat();
        int[][] events = labelEvents();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings failover = settings(kafka, "failover");
            JobTestSupport.createTopics(kafka, failover, 1);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, failover);
            JobClient job = env.executeAsync("consensus-failover");
            produce(kafka, events, 0, EVENTS / 2);
            JobTestSupport.awaitCommitted(kafka, failover.consensusTopic(), c -> true, ITEMS / 4);
            cluster.terminateTaskManager(0).get();
            cluster.startTaskManager();
            produce(kafka, events, EVENTS / 2, EVENTS);
            List<Consensus> afterKill = awaitLastSnapshot(kafka, failover, job);

            TrainSettings uninterrupted = settings(kafka, "uninterrupted");
            kafka.createTopics(ChorusTopic.newTopics(uninterrupted, role -> 1).stream()
                    .filter(t -> !t.name().equals(uninterrupted.examplesTopic().name())).toList());
            env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, uninterrupted);
            List<Consensus> reference = awaitLastSnapshot(kafka, uninterrupted, env.executeAsync("consensus"));

            assertThat(JobTestSupport.read(kafka, failover.deadLetterTopic())).as("dead letters").isEmpty();
            assertThat(afterKill.stream().map(ConsensusIT::withoutTime).toList())
                    .as("the consensus records of a run whose TaskManager was killed")
                    .isEqualTo(reference.stream().map(ConsensusIT::withoutTime).toList());

            Map<String, Consensus> latest = new HashMap<>();
            for (Consensus c : reference) {
                Consensus before = latest.put(c.getItem(), c);
                assertThat(c.getTask()).isEqualTo(TASK);
                assertThat(c.getPosterior().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1, within(1e-9));
                if (before != null) {
                    assertThat(c.getVersion()).isGreaterThan(before.getVersion());
                }
            }
            assertThat(latest).hasSize(ITEMS);
            assertThat(latest.values()).allSatisfy(c -> {
                assertThat(c.getLabels()).isEqualTo(LABELS_PER_ITEM);
                assertThat(c.getAnnotators()).hasSize(LABELS_PER_ITEM).doesNotHaveDuplicates();
            });
            // MAP-EM with a label-only task's own prior: the model the job streams, run to convergence.
            int[] batch = BatchDawidSkene.fit(stream(events), ITEMS, ANNOTATORS, K,
                    BatchDawidSkene.Prior.of(ConfusionEstimates.labelOnly(K, ANNOTATORS)),
                    BatchDawidSkene.DEFAULT_MAX_ITERATIONS, BatchDawidSkene.DEFAULT_TOLERANCE).mostLikely();
            int agree = 0;
            for (int i = 0; i < ITEMS; i++) {
                agree += latest.get("item-" + i).getMostLikely() == batch[i] ? 1 : 0;
            }
            // Streaming and batch differ where the posterior is close to a tie: the streaming confusions are a running
            // average of one pass, the batch ones the fixed point of every label at once.
            assertThat(agree).as("items whose most likely class agrees with batch Dawid–Skene (of %s)", ITEMS)
                    .isGreaterThanOrEqualTo(ITEMS * 97 / 100);
        }
    }

    /** 320 items (classes 60/30/10%), five labels each from 20 annotators: 14 right 80% of the time, 6 spammers. */
    static int[][] labelEvents() {
        SplittableRandom random = new SplittableRandom(3);
        int[][] events = new int[EVENTS][];
        int[] truth = new int[ITEMS];
        for (int i = 0; i < ITEMS; i++) {
            double u = random.nextDouble();
            truth[i] = u < 0.6 ? 0 : u < 0.9 ? 1 : 2;
        }
        for (int round = 0; round < LABELS_PER_ITEM; round++) {
            for (int i = 0; i < ITEMS; i++) {
                int a = (i * 7 + round * 3) % ANNOTATORS;
                int label = a >= 14 || random.nextDouble() >= 0.8 ? random.nextInt(K) : truth[i];
                events[round * ITEMS + i] = new int[] {i, a, label};
            }
        }
        return events;
    }

    static LabelStream stream(int[][] events) {
        int[] items = new int[events.length];
        int[] annotators = new int[events.length];
        int[] labels = new int[events.length];
        for (int e = 0; e < events.length; e++) {
            items[e] = events[e][0];
            annotators[e] = events[e][1];
            labels[e] = events[e][2];
        }
        return new LabelStream(items, annotators, labels);
    }

    /** Label events {@code from .. to} as JSON examples without features, through kcat. */
    static void produce(EmbeddedKafkaBroker kafka, int[][] events, int from, int to) throws Exception {
        StringJoiner lines = new StringJoiner("\n", "kcat -P -b \"$BOOTSTRAP\" -t chorus.examples <<'EOF'\n", "\nEOF\n");
        for (int e = from; e < to; e++) {
            lines.add("{\"id\":\"item-" + events[e][0] + "\",\"task\":\"" + TASK + "\",\"features\":[],\"label\":"
                    + events[e][2] + ",\"annotator\":\"a" + events[e][1] + "\",\"eventTime\":" + e + "}");
        }
        KcatReadmeIT.Shell shell = KcatReadmeIT.run(lines.toString(), kafka.bootstrapServers());
        assertThat(shell.exit()).as("kcat produce: %s", shell.err()).isZero();
    }

    static TrainSettings settings(EmbeddedKafkaBroker kafka, String run) {
        WireFormat json = WireFormat.JSON;
        return new TrainSettings()
                .bootstrapServers(kafka.bootstrapServers())
                .groupId("consensus-" + run)
                .examplesTopic(new Topic<>("chorus.examples", Example.class, json))
                .predictionsTopic(new Topic<>(run + ".predictions", Prediction.class, json))
                .modelsTopic(new Topic<>(run + ".models", ModelSnapshot.class, json))
                .deadLetterTopic(new Topic<>(run + ".dead-letters", DeadLetter.class, json))
                .consensusTopic(new Topic<>(run + ".consensus", Consensus.class, json))
                .annotatorsTopic(new Topic<>(run + ".annotators", dev.chorus.schemas.AnnotatorModel.class, json))
                .specs(TaskSpecs.of(SPEC, Map.of()))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .annotatorPublishIntervalMs(0)
                .parallelism(1);
    }

    /** Waits for the snapshot of the last minibatch, cancels the job, and returns its committed consensus records. */
    static List<Consensus> awaitLastSnapshot(EmbeddedKafkaBroker kafka, TrainSettings settings, JobClient job)
            throws Exception {
        JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> m.getVersion() == EVENTS / 16, 1);
        // The last minibatch's items go out in the same checkpoint as its snapshot, through their own sink.
        JobTestSupport.awaitCommitted(kafka, settings.consensusTopic(), c -> c.getVersion() == EVENTS / 16, 1);
        JobTestSupport.cancel(job);
        return JobTestSupport.read(kafka, settings.consensusTopic());
    }

    static Consensus withoutTime(Consensus c) {
        return Consensus.newBuilder(c).setUpdatedAt(0L).build();
    }
}
