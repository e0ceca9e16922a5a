package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An evicted annotator leaves the committed annotators topic: a train job on a real broker whose label model holds
 * 4 annotators meets a fifth, which evicts the least recently seen; the topic then holds a tombstone for the evicted
 * key, after its records and before the newcomer's, and the readers ({@link TopicReader#readLatest},
 * {@code chorus tail} and {@code chorus tail --json}) say the annotator is gone.
 */
class EvictedAnnotatorIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":3,
             "labelModel":{"method":"dawid-skene","maxAnnotators":4}}""";

    @Test
    void theEvictedAnnotatorsKeyGetsATombstoneThatTheReadersShowAsGone() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("evicted-annotator-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .checkpointIntervalMs(500)
                .snapshotEveryBatches(1000)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .annotatorPublishIntervalMs(0)
                .bounded(true)
                .parallelism(1);
        // One partition: the task meets the annotators in the order they are sent.
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);
        LabeledDataset data = SyntheticBlobs.generate(200, 4, 3, 11);
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // One minibatch fills the 4 slots (fake-0 seen first), the next one's annotator takes fake-0's.
            for (int row = 0; row < 16; row++) {
                Example e = ExampleProducer.example(data, row, "crowd", "item", 0);
                e.setAnnotator(row < 8 ? "fake-" + row / 2 : "real");
                producer.send(settings.examplesTopic(), e);
            }
            producer.flush();
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        env.execute("evicted-annotator-it");

        String bootstrap = KAFKA.broker().bootstrapServers();
        String topic = settings.annotatorsTopic().name();
        // The job's last transaction is committed, but its markers may not have reached the topic yet: a committed
        // reader started now would stop short of it.
        assertThat(TopicReader.awaitSettled(bootstrap, Map.of(), topic, JobTestSupport.PATIENCE))
                .as("%s settled", topic).isTrue();
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readAllRecords(bootstrap, Map.of(), topic);
        List<String> keys = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            keys.add(new String(r.key(), StandardCharsets.UTF_8) + (r.value() == null ? " tombstone" : ""));
        }
        assertThat(keys).as("committed annotators topic").containsOnlyOnce("crowd/fake-0 tombstone")
                .filteredOn(k -> k.endsWith(" tombstone")).hasSize(1);
        int tombstone = keys.indexOf("crowd/fake-0 tombstone");
        assertThat(keys.subList(0, tombstone)).as("fake-0 had been published").contains("crowd/fake-0");
        assertThat(keys.subList(tombstone + 1, keys.size())).as("nothing of fake-0 after its tombstone")
                .doesNotContain("crowd/fake-0").contains("crowd/real");
        assertThat(keys.subList(0, tombstone)).as("the newcomer is published after the tombstone")
                .doesNotContain("crowd/real");

        RecordCodec<AnnotatorModel> codec = settings.annotatorsTopic().codec();
        Map<String, AnnotatorModel> latest = TopicReader.readLatest(bootstrap, Map.of(), topic, codec::decode);
        assertThat(latest).containsOnlyKeys("crowd/fake-1", "crowd/fake-2", "crowd/fake-3", "crowd/real");
        assertThat(latest.get("crowd/real").getLabelsSeen()).isEqualTo(8);

        CliRun tail = CliRun.run("tail", topic, "--no-follow", "--bootstrap-servers", bootstrap);
        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(tail.out().lines()).filteredOn(l -> l.contains("tombstone"))
                .containsExactly("0@" + records.get(tombstone).offset() + " tombstone key=crowd/fake-0");

        CliRun json = CliRun.run("tail", topic, "--json", "--no-follow", "--bootstrap-servers", bootstrap);
        assertThat(json.exitCode()).as(json.err()).isZero();
        ObjectMapper mapper = new ObjectMapper();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : json.out().lines().toList()) {
            lines.add(mapper.readTree(line));
        }
        assertThat(lines).as("one JSON line per record, the tombstone's included").hasSize(records.size());
        JsonNode deleted = lines.get(tombstone);
        assertThat(deleted.get("key").asText()).isEqualTo("crowd/fake-0");
        assertThat(deleted.get("value").isNull()).isTrue();
        assertThat(lines.get(tombstone + 1).get("annotator")).as("records stay as they were").isNotNull();
    }
}
