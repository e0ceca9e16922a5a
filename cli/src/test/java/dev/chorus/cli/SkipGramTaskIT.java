package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.output.SkipGram;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainJobOptions;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.StringJoiner;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A skip-gram task end to end on a real broker and MiniCluster: kcat writes token sequences with planted
 * co-occurrence ({@link TokenSequences}: four groups whose tokens appear only together), the train job trains them,
 * the published snapshot is, bit for bit, model-core's SkipGram trained on the same sequences in the same order, and
 * {@code chorus inspect --nearest a1} against the broker names a1's group first. Bad sequences among them are dead
 * letters naming the field, and change nothing else.
 */
class SkipGramTaskIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final int SEQUENCES = 800;

    @Test
    void kcatFedSequencesTrainTheSkipGramOfModelCoreAndInspectNamesTheNearestTokens(@TempDir Path dir)
            throws Exception {
        KcatReadmeIT.assumeKcat();
        RecordCodec<Example> json = WireFormat.JSON.codec(Example.class);
        List<Example> sequences = TokenSequences.stream("words", SEQUENCES, 1);
        List<Example> bad = badSequences();
        StringJoiner lines = new StringJoiner("\n", "", "\n");
        for (int i = 0; i < SEQUENCES; i++) {
            lines.add(new String(json.encode(sequences.get(i)), StandardCharsets.UTF_8));
            if (i % 100 == 50 && i / 100 < bad.size()) {
                lines.add(new String(json.encode(bad.get(i / 100)), StandardCharsets.UTF_8));
            }
        }
        SkipGram reference = TokenSequences.reference(TokenSequences.SPEC, sequences);

        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            TrainSettings settings = TrainJobOptions.parse(new String[] {"--bootstrap-servers", bootstrap, "--format",
                "json", "--spec", TokenSequences.SPEC, "--bounded", "--checkpoint-interval-ms", "500",
                "--snapshot-every-batches", "200", "--snapshot-interval-ms", "0"});
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            Path file = Files.writeString(dir.resolve("sequences.jsonl"), lines.toString());
            KcatReadmeIT.Shell produce = KcatReadmeIT.run("kcat -P -b \"$BOOTSTRAP\" -t chorus.examples -l '" + file
                    + "'", bootstrap);
            assertThat(produce.exit()).as("kcat produce: %s", produce.err()).isZero();

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("skip-gram-task");

            assertThat(JobTestSupport.read(kafka, settings.predictionsTopic())).as("predictions").isEmpty();
            assertThat(JobTestSupport.read(kafka, settings.deadLetterTopic())).as("dead letters")
                    .extracting(d -> d.getField() + ": " + d.getReason())
                    .containsExactlyInAnyOrder(
                            "fields: field 'fields.tokens': expected a list of strings, got a string, not a list of "
                                    + "strings",
                            "fields: field 'fields.tokens': expected at most 12 tokens (spec key "
                                    + "'skipGram.maxTokens'), got 13",
                            "fields: field 'fields.tokens': expected tokens of at most 1024 characters, got 2000 "
                                    + "characters at position 2",
                            "fields: field 'fields': expected only the token sequence 'tokens' (spec key "
                                    + "'tokensField'), got \"words\"",
                            "fields: field 'fields': expected the token sequence of a skip-gram task in field "
                                    + "'tokens', got null",
                            "label: field 'label': expected null for a skip-gram task (it learns from its token "
                                    + "sequence alone), got 2");
            List<ModelSnapshot> models = JobTestSupport.read(kafka, settings.modelsTopic());
            assertThat(models).extracting(ModelSnapshot::getVersion).containsExactly(200L, 400L, 600L, 800L);
            ModelSnapshot last = models.get(models.size() - 1);
            assertThat(last.getAlgorithm()).isEqualTo("skip-gram");
            assertThat(last.getExamplesSeen()).isEqualTo(SEQUENCES);
            assertThat(JobTestSupport.bytes(last.getParameters())).as("the published model's bytes")
                    .isEqualTo(reference.toBytes());

            Path vocabulary = Files.write(dir.resolve("vocabulary.txt"), TokenSequences.vocabulary());
            CliRun run = CliRun.run("inspect", "--bootstrap-servers", bootstrap, "--task", "words", "--nearest", "a1",
                    "--k", "5", "--vocabulary", vocabulary.toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("model words/default version 800 from chorus.models");
            assertThat(InspectNearestTest.ranked(run.out())).as(run.out())
                    .containsExactlyInAnyOrder("a2", "a3", "a4", "a5", "a6");
        }
    }

    /**
     * The README's example: four sequences, a model too big for one record (in chunks), and inspect, which joins the
     * chunks of the newest version and ranks the vocabulary's other tokens.
     */
    @Test
    void theReadmesWordsExampleTrainsAsModelCoreAndInspectListsNeighbours(@TempDir Path dir) throws Exception {
        KcatReadmeIT.assumeKcat();
        String readme = Files.readString(KcatReadmeIT.README);
        String produceBlock = KcatReadmeIT.block(readme, "kcat-words");
        RecordCodec<Example> json = WireFormat.JSON.codec(Example.class);
        List<Example> sent = produceBlock.lines().filter(l -> l.startsWith("{"))
                .map(l -> json.decode(l.getBytes(StandardCharsets.UTF_8))).toList();
        assertThat(sent).hasSize(4);
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            String bootstrap = kafka.bootstrapServers();
            List<String> args = new java.util.ArrayList<>(KcatReadmeIT.trainArguments(
                    KcatReadmeIT.block(readme, "train-words"), bootstrap));
            SkipGram reference = TokenSequences.reference(args.get(args.indexOf("--spec") + 1), sent);
            assertThat(args).as("the README's run ends by itself").contains("--bounded");
            args.addAll(List.of("--checkpoint-interval-ms", "500"));
            TrainSettings settings = TrainJobOptions.parse(args.toArray(String[]::new));
            kafka.createTopics(ChorusTopic.newTopics(settings, role -> 1));
            KcatReadmeIT.Shell produce = KcatReadmeIT.run(produceBlock, bootstrap);
            assertThat(produce.exit()).as("kcat produce: %s", produce.err()).isZero();
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            env.execute("readme-words");

            // 65,536 buckets of 32 dimensions are over 16 MiB: the snapshot travels in chunks, then its manifest.
            List<ModelSnapshot> models = JobTestSupport.read(kafka, settings.modelsTopic());
            ModelSnapshot manifest = models.get(models.size() - 1);
            assertThat(manifest.getChunk()).isNull();
            assertThat(manifest.getChunks()).isGreaterThan(1);
            java.io.ByteArrayOutputStream joined = new java.io.ByteArrayOutputStream();
            models.stream().filter(m -> m.getChunk() != null && m.getVersion() == manifest.getVersion())
                    .sorted(java.util.Comparator.comparing(ModelSnapshot::getChunk))
                    .forEach(m -> joined.writeBytes(JobTestSupport.bytes(m.getParameters())));
            assertThat(joined.toByteArray()).as("the chunks joined").isEqualTo(reference.toBytes());
            // The README's words.txt, written by its own line in a directory of the test's.
            KcatReadmeIT.Shell vocabularyLine = KcatReadmeIT.run("cd '" + dir + "' && "
                    + KcatReadmeIT.block(readme, "words-vocabulary"), bootstrap);
            assertThat(vocabularyLine.exit()).as(vocabularyLine.err()).isZero();
            Path words = dir.resolve("words.txt");
            assertThat(Files.readAllLines(words)).containsExactly("coffee", "milk", "sugar", "cup", "tea", "train",
                    "ticket", "station", "platform", "bus", "driver");
            List<String> inspectArgs = KcatReadmeIT.chorusArguments(KcatReadmeIT.block(readme, "inspect-words"),
                    bootstrap).stream().map(a -> a.equals("words.txt") ? words.toString() : a).toList();
            CliRun run = CliRun.run(inspectArgs.toArray(String[]::new));
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("model words/default version 4 from chorus.models", "milk (bucket "
                    + reference.bucket("milk") + ") among the 11 tokens of " + words);
            assertThat(InspectNearestTest.ranked(run.out())).hasSize(3).doesNotContain("milk")
                    .isSubsetOf("coffee", "sugar", "cup", "tea", "train", "ticket", "station", "platform", "bus",
                            "driver");
        }
    }

    /** Sequences no skip-gram task of {@link TokenSequences#SPEC} takes, each a dead letter naming its field. */
    static List<Example> badSequences() {
        List<Example> bad = new java.util.ArrayList<>();
        bad.add(TokenSequences.example("words", "bad-0", "tokens", "a1 a2 a3"));
        bad.add(TokenSequences.example("words", "bad-1", "tokens", Collections.nCopies(13, "a1")));
        bad.add(TokenSequences.example("words", "bad-2", "tokens", List.of("a1", "a2", "x".repeat(2000))));
        bad.add(TokenSequences.example("words", "bad-3", "words", List.of("a1", "a2")));
        Example none = TokenSequences.example("words", "bad-4", "tokens", List.of("a1"));
        none.setFields(null);
        bad.add(none);
        Example labelled = TokenSequences.example("words", "bad-5", "tokens", List.of("a1", "a2"));
        labelled.setLabel(2);
        bad.add(labelled);
        return bad;
    }
}
