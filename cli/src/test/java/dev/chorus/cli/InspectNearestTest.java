package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus inspect --nearest} on model files: a skip-gram model's neighbours, named by a vocabulary or buckets. */
class InspectNearestTest {

    static SkipGram model;

    @BeforeAll
    static void train() {
        model = TokenSequences.reference(TokenSequences.SPEC, TokenSequences.stream("words", 800, 1));
    }

    /** The tokens of the lines after the header lines, in rank order. */
    static List<String> ranked(String out) {
        return out.lines().filter(l -> l.matches("\\s*\\d+  .*")).map(l -> l.trim().split("\\s+")[1]).toList();
    }

    @Test
    void namesTheNearestTokensOfAVocabularyFromASnapshotRecordOrTheModelsBytes(@TempDir Path dir) throws Exception {
        Path words = Files.write(dir.resolve("words.txt"), TokenSequences.vocabulary());
        ModelSnapshot snapshot = ModelSnapshot.newBuilder().setTask("words").setVariant("default").setVersion(400)
                .setAlgorithm("skip-gram").setSpec(TokenSequences.SPEC).setParametersFormat(SkipGram.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(model.toBytes())).setExamplesSeen(400).setMetrics(Map.of())
                .setCreatedAt(0).build();
        Path record = Files.write(dir.resolve("snapshot.avro"), WireFormat.AVRO.codec(ModelSnapshot.class)
                .encode(snapshot));
        Path state = Files.write(dir.resolve("skip-gram.bin"), model.toBytes());
        for (Path file : List.of(record, state)) {
            CliRun run = CliRun.run("inspect", "--file", file.toString(), "--nearest", "a1", "--k", "5",
                    "--vocabulary", words.toString());
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(run.out()).contains("among the 24 tokens of " + words + " the stream has shown, by cosine")
                    .doesNotContain("the stream never showed");
            assertThat(ranked(run.out())).as(run.out()).containsExactlyInAnyOrder("a2", "a3", "a4", "a5", "a6");
        }
    }

    @Test
    void aSnapshotFilesTaskAndVariantArePrintedSafeForATerminal(@TempDir Path dir) throws Exception {
        ModelSnapshot snapshot = skipGram(7, model);
        snapshot.setTask("words\u001b]0;x\u0007");
        snapshot.setVariant("\u202edefault");
        Path record = Files.write(dir.resolve("snapshot.avro"), WireFormat.AVRO.codec(ModelSnapshot.class)
                .encode(snapshot));

        CliRun run = CliRun.run("inspect", "--file", record.toString(), "--nearest", "a1", "--k", "1");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).doesNotContain("\u001b", "\u0007", "\u202e")
                .contains("model        model words\\u001B]0;x\\u0007/\\u202Edefault version 7 from " + record);
    }

    @Test
    void withoutAVocabularyTheNeighboursAreBucketsAndSaySo(@TempDir Path dir) throws Exception {
        Path state = Files.write(dir.resolve("skip-gram.bin"), model.toBytes());
        CliRun run = CliRun.run("inspect", "--file", state.toString(), "--nearest", "a1", "--k", "5");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("buckets to a1's bucket " + model.bucket("a1"),
                "the model keeps vectors per bucket, not tokens (--vocabulary FILE names them)");
        List<String> buckets = TokenSequences.GROUPS.get(0).subList(1, 6).stream()
                .map(t -> Integer.toString(model.bucket(t))).toList();
        assertThat(run.out().lines().filter(l -> l.matches("\\s*\\d+  bucket .*"))
                .map(l -> l.trim().split("\\s+")[2]).toList()).as(run.out()).containsExactlyInAnyOrderElementsOf(buckets);
    }

    @Test
    void aQueryTheStreamNeverShowedIsNamedAsSuch(@TempDir Path dir) throws Exception {
        String unseen = IntStream.range(0, 10_000).mapToObj(n -> "unseen" + n).filter(t -> !model.shown(t))
                .findFirst().orElseThrow();
        Path state = Files.write(dir.resolve("skip-gram.bin"), model.toBytes());
        CliRun run = CliRun.run("inspect", "--file", state.toString(), "--nearest", unseen, "--k", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("the stream never showed a token of " + unseen + "'s bucket "
                + model.bucket(unseen) + ": its vector is still the random start");
    }

    @Test
    void aModelOfAnotherAlgorithmOrNoSourceIsAnError(@TempDir Path dir) throws Exception {
        CliRun none = CliRun.run("inspect", "--nearest", "a1");
        assertThat(none.exitCode()).isNotZero();
        assertThat(none.err()).contains("--nearest TOKEN reads one skip-gram model: give it --task (from "
                + "--models-topic) or --file");
        Path garbage = Files.write(dir.resolve("garbage.bin"), new byte[] {0, 0, 0, 9, 1, 2});
        CliRun bad = CliRun.run("inspect", "--file", garbage.toString(), "--nearest", "a1");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains(garbage + ": not a skip-gram model: SkipGram state: expected format version 1, "
                + "got 9");
    }

    @Test
    void theModelsTopicsNearestComeFromTheFreshModelAfterAReset() {
        SkipGram fresh = TokenSequences.reference(TokenSequences.SPEC, TokenSequences.stream("words", 200, 2));
        ModelsTopicRecords topic = new ModelsTopicRecords()
                .add(List.of(skipGram(400, model), skipGram(401, model))).tombstone("words/default")
                .add(List.of(skipGram(2, fresh)));

        NearestTokens.Model read = NearestTokens.fromRecords(topic.records(), "chorus.models", "words", "default");

        assertThat(read.source()).isEqualTo("model words/default version 2 from chorus.models");
        assertThat(read.skipGram().toBytes()).isEqualTo(fresh.toBytes());
    }

    @Test
    void beforeTheFirstSnapshotItSaysWhenOneComes() {
        ModelsTopicRecords topic = new ModelsTopicRecords().add(List.of(skipGram(3, model))).tombstone("words/default");

        assertThatIllegalStateException()
                .isThrownBy(() -> NearestTokens.fromRecords(topic.records(), "chorus.models", "words", "default"))
                .withMessage("no model yet for words/default on chorus.models: the train job publishes a variant's "
                        + "model every --snapshot-every-batches minibatches (default 50) and, when it changed, every "
                        + "--snapshot-interval-ms (default 30 s); try again then (chorus models lists the snapshots)");
    }

    private static ModelSnapshot skipGram(long version, SkipGram skipGram) {
        return ModelSnapshot.newBuilder().setTask("words").setVariant("default").setVersion(version)
                .setAlgorithm("skip-gram").setSpec(TokenSequences.SPEC).setParametersFormat(SkipGram.FORMAT_VERSION)
                .setParameters(ByteBuffer.wrap(skipGram.toBytes())).setExamplesSeen(version).setMetrics(Map.of())
                .setCreatedAt(0).build();
    }
}
