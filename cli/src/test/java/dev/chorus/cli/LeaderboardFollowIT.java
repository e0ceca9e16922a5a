package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.RecordMetadata;
import picocli.CommandLine;

/**
 * {@code chorus leaderboard --follow} against a real broker: each board has what arrived on the models, control and
 * dead-letter topics before its champion record, and each refresh reads only what arrived since the one before.
 */
class LeaderboardFollowIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
            + "\"batchSize\":4";

    @Test
    void theNextBoardShowsTheSnapshotAndControlRecordsThatArrivedBeforeItsChampionRecord() throws Exception {
        Topics t = new Topics("follow");
        try (ExampleProducer producer = new ExampleProducer(t.bootstrap, Map.of())) {
            t.snapshot(producer, "default", 1, 0.1);
            t.spec(producer, "slow", 0.01);
            t.champion(producer, "default", "slow");
        }
        Lines lines = new Lines();
        StringWriter err = new StringWriter();
        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.setOut(new PrintWriter(lines, true));
        cli.setErr(new PrintWriter(err, true));
        Thread follower = new Thread(() -> cli.execute(t.leaderboard("--follow")));
        follower.start();
        try {
            assertThat(learningRates(lines.next())).as(err.toString())
                    .containsExactly(Map.entry("default", "0.1"), Map.entry("slow", "0.01"));

            try (ExampleProducer producer = new ExampleProducer(t.bootstrap, Map.of())) {
                t.snapshot(producer, "default", 2, 0.2);
                t.snapshot(producer, "wide", 1, 0.7);
                t.spec(producer, "fast", 0.3);
                t.refuse(producer, t.spec(producer, "slow", 0.9));
                t.champion(producer, "default", "slow", "fast", "wide");
            }

            assertThat(learningRates(lines.next())).as(err.toString()).containsExactly(Map.entry("default", "0.2"),
                    Map.entry("slow", "0.01"), Map.entry("fast", "0.3"), Map.entry("wide", "0.7"));
        } finally {
            follower.interrupt();
            follower.join();
        }
    }

    @Test
    void aSecondReadDecodesOnlyTheRecordsThatArrivedSinceTheFirst() throws Exception {
        Topics t = new Topics("again");
        try (ExampleProducer producer = new ExampleProducer(t.bootstrap, Map.of())) {
            t.snapshot(producer, "default", 1, 0.1);
            t.spec(producer, "slow", 0.01);
            t.spec(producer, "fast", 0.3);
        }
        KafkaOptions kafka = new KafkaOptions();
        kafka.bootstrapServers = t.bootstrap;
        StringWriter err = new StringWriter();
        try (BoardSources sources = new BoardSources(kafka, t.models, t.specs, t.refusals(), null)) {
            BoardSources.Specs first = sources.readToEnd(new PrintWriter(err, true), "test");
            assertThat(first.control()).containsOnlyKeys("t/slow", "t/fast");
            assertThat(sources.decoded()).as("the control topic's records; the models topic waits until asked")
                    .isEqualTo(2);
            assertThat(first.snapshotSpecs().get()).containsOnlyKeys("t/default");
            assertThat(sources.decoded()).as("records of the three topics").isEqualTo(3);

            try (ExampleProducer producer = new ExampleProducer(t.bootstrap, Map.of())) {
                t.refuse(producer, t.spec(producer, "fast", 0.9));
                t.snapshot(producer, "default", 2, 0.2);
            }
            BoardSources.Specs second = sources.readToEnd(new PrintWriter(err, true), "test");

            assertThat(second.snapshotSpecs().get().get("t/default")).contains("\"learningRate\":0.2");
            assertThat(sources.decoded()).as("the three records read before are not read again").isEqualTo(6);
            assertThat(second.control().get("t/fast").getSpec()).contains("\"learningRate\":0.3");
            assertThat(err.toString()).isEmpty();
        }
    }

    @Test
    void withoutTheRefusalsTopicTheRefusalsAreReadFromTheDeadLetterTopicWithAWarning() throws Exception {
        Topics t = new Topics("older", false);
        try (ExampleProducer producer = new ExampleProducer(t.bootstrap, Map.of())) {
            t.spec(producer, "slow", 0.01);
            t.refuse(producer, t.spec(producer, "slow", 0.9));
            producer.sendRaw(t.deadLetters, "x", WireFormat.AVRO.codec(DeadLetter.class).encode(DeadLetters.of(
                    new KafkaRecord("older.examples", 0, 0L, 0L, null, new byte[] {1}), "features", "bad", 0L,
                    1024))).get();
        }
        KafkaOptions kafka = new KafkaOptions();
        kafka.bootstrapServers = t.bootstrap;
        StringWriter err = new StringWriter();
        try (BoardSources sources = new BoardSources(kafka, t.models, t.specs, t.refusals(), null)) {
            BoardSources.Specs specs = sources.readToEnd(new PrintWriter(err, true), "test");

            assertThat(specs.control().get("t/slow").getSpec()).contains("\"learningRate\":0.01");
            assertThat(sources.decoded()).as("both control records and both dead letters").isEqualTo(4);
            assertThat(err.toString()).isEqualTo("test: topic older.specs.refusals not found (--spec-refusals-topic): "
                    + "the refusals were read from the whole of older.dead-letters (a train job older than the "
                    + "refusals topic writes them there only)" + System.lineSeparator());
        }
    }

    /** Per variant of the only task on a {@code --json} board, its hyperparameter optimizer.learningRate. */
    private static Map<String, String> learningRates(String board) throws Exception {
        JsonNode tasks = new ObjectMapper().readTree(board);
        assertThat(tasks).hasSize(1);
        Map<String, String> rates = new LinkedHashMap<>();
        for (JsonNode v : tasks.get(0).get("variants")) {
            rates.put(v.get("variant").asText(), v.get("hyperparameters").path("optimizer.learningRate").asText());
        }
        return rates;
    }

    /** One test's five topics of task {@code t} (four without the refusals topic), and how the train job writes to them. */
    private static final class Topics {
        final String bootstrap = KAFKA.broker().bootstrapServers();
        final String champions;
        final String models;
        final String specs;
        final String deadLetters;
        final String specRefusals;
        final boolean withRefusalsTopic;

        Topics(String prefix) {
            this(prefix, true);
        }

        /** {@code withRefusalsTopic} false: as a train job older than the spec refusals topic left them. */
        Topics(String prefix, boolean withRefusalsTopic) {
            champions = prefix + ".champions";
            models = prefix + ".models";
            specs = prefix + ".specs";
            deadLetters = prefix + ".dead-letters";
            specRefusals = prefix + ".specs.refusals";
            this.withRefusalsTopic = withRefusalsTopic;
            List<NewTopic> topics = new ArrayList<>(List.of(ChorusTopic.CHAMPIONS.newTopic(champions, 1),
                    ChorusTopic.MODELS.newTopic(models, 1), ChorusTopic.SPECS.newTopic(specs, 1),
                    ChorusTopic.DEAD_LETTERS.newTopic(deadLetters, 1)));
            if (withRefusalsTopic) {
                topics.add(ChorusTopic.SPEC_REFUSALS.newTopic(specRefusals, 1));
            }
            KAFKA.broker().createTopics(topics);
        }

        JudgedSpecs.Refusals refusals() {
            return new JudgedSpecs.Refusals(specRefusals, deadLetters, null);
        }

        String[] leaderboard(String... more) {
            List<String> args = new ArrayList<>(List.of("leaderboard", "--json", "--bootstrap-servers", bootstrap,
                    "--champions-topic", champions, "--models-topic", models, "--specs-topic", specs,
                    "--spec-refusals-topic", specRefusals, "--dead-letter-topic", deadLetters));
            args.addAll(List.of(more));
            return args.toArray(String[]::new);
        }

        void snapshot(ExampleProducer producer, String variant, long version, double learningRate)
                throws Exception {
            String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
                    + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + learningRate + "},\"batchSize\":4}";
            producer.sendRaw(models, "t/" + variant, WireFormat.AVRO.codec(ModelSnapshot.class).encode(
                    ModelSnapshot.newBuilder().setTask("t").setVariant(variant).setVersion(version)
                            .setAlgorithm("softmax-regression").setSpec(spec).setParametersFormat(1)
                            .setParameters(ByteBuffer.allocate(0)).setExamplesSeen(version).setCreatedAt(0L).build()))
                    .get();
        }

        /** Writes a LIVE record of {@code t/variant} to the control topic; returns it as the train job reads it. */
        KafkaRecord spec(ExampleProducer producer, String variant, double learningRate) throws Exception {
            byte[] value = WireFormat.JSON.codec(VariantSpecRecord.class).encode(SpecsCommand.record("t", variant,
                    "{" + MODEL + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":" + learningRate + "}}",
                    "cli"));
            RecordMetadata written = producer.sendRaw(specs, "t/" + variant, value).get();
            return new KafkaRecord(specs, written.partition(), written.offset(), 0L,
                    ("t/" + variant).getBytes(StandardCharsets.UTF_8), value);
        }

        /**
         * The dead letter the train job writes when it refuses the control record {@code refused}: to the dead-letter
         * topic, and to the refusals topic when there is one.
         */
        void refuse(ExampleProducer producer, KafkaRecord refused) throws Exception {
            DeadLetter d = DeadLetters.of(refused, "spec", "expected the live spec", 0L, 1024);
            byte[] value = WireFormat.AVRO.codec(DeadLetter.class).encode(d);
            String key = new String(refused.key, StandardCharsets.UTF_8);
            producer.sendRaw(deadLetters, key, value).get();
            if (withRefusalsTopic) {
                producer.sendRaw(specRefusals, key, value).get();
            }
        }

        void champion(ExampleProducer producer, String... variants) throws Exception {
            List<VariantStanding> standings = new ArrayList<>();
            for (String v : variants) {
                standings.add(VariantStanding.newBuilder().setVariant(v).setStatus(standings.isEmpty()
                        ? StandingStatus.CHAMPION : StandingStatus.CHALLENGER).setLabelledExamples(10L)
                        .setLossMean(0.5).setLossStandardError(0.1).setModelVersion(1L).build());
            }
            producer.sendRaw(champions, "t", WireFormat.JSON.codec(Champion.class).encode(Champion.newBuilder()
                    .setTask("t").setVariant(variants[0]).setModelVersion(1L).setSince(0L).setStandings(standings)
                    .setUpdatedAt(0L).build())).get();
        }
    }

    /** What the command prints, one line at a time as it prints it, for the test thread to wait on. */
    private static final class Lines extends Writer {
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        private final StringBuilder line = new StringBuilder();

        @Override
        public synchronized void write(char[] chars, int offset, int length) {
            for (int i = offset; i < offset + length; i++) {
                if (chars[i] == '\n') {
                    lines.add(line.toString());
                    line.setLength(0);
                } else {
                    line.append(chars[i]);
                }
            }
        }

        /** The next line; fails rather than hang when none comes (the board is printed within seconds). */
        String next() throws InterruptedException {
            String next = lines.poll(2, TimeUnit.MINUTES);
            assertThat(next).as("a board printed").isNotNull();
            return next;
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }
}
