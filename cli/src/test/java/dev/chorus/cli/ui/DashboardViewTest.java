package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.core.metrics.PrequentialConfusion;
import dev.chorus.jobs.kafka.SnapshotChunks;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/** Records in, the JSON the dashboard page reads out. */
class DashboardViewTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DashboardView view = new DashboardView(3, 2, 2);

    @Test
    void snapshotsBecomeALearningCurveOverExamplesPerVariantWithTheLatestVersion() throws Exception {
        view.model("fashion/default", snapshot("fashion", "default", 1, 64, Map.of("prequentialAccuracy", 0.5)));
        view.model("fashion/default", snapshot("fashion", "default", 2, 128, Map.of("prequentialAccuracy", 0.75)));

        JsonNode task = only(json().get("tasks"));
        assertThat(task.get("task").asText()).isEqualTo("fashion");
        JsonNode variant = only(task.get("variants"));
        assertThat(variant.get("variant").asText()).isEqualTo("default");
        assertThat(variant.get("version").asLong()).isEqualTo(2);
        assertThat(variant.get("examplesSeen").asLong()).isEqualTo(128);
        assertThat(variant.get("snapshots").asLong()).isEqualTo(2);
        assertThat(variant.get("algorithm").asText()).isEqualTo("softmax-regression");
        assertThat(variant.get("accuracy").toString()).isEqualTo("[[64,0.5],[128,0.75]]");
        assertThat(variant.has("loss")).as("no loss metric on the topic, no loss curve").isFalse();
        assertThat(task.has("leaderboard")).as("one variant: nothing to rank").isFalse();
    }

    @Test
    void aSnapshotInChunksCountsOnceByItsManifestAndAChunksTombstoneForgetsNothing() throws Exception {
        view.model("fashion/default", snapshot("fashion", "default", 1, 64, Map.of("prequentialAccuracy", 0.5)));
        ModelSnapshot big = snapshot("fashion", "default", 2, 128, Map.of("prequentialAccuracy", 0.75));
        big.setParameters(ByteBuffer.allocate(250));
        for (ModelSnapshot part : SnapshotChunks.split(big, 100)) {
            view.model(SnapshotChunks.key(part), part);
        }
        view.model("fashion/default#2", null);

        JsonNode variant = only(only(json().get("tasks")).get("variants"));
        assertThat(variant.get("version").asLong()).isEqualTo(2);
        assertThat(variant.get("snapshots").asLong()).isEqualTo(2);
        assertThat(variant.get("accuracy").toString()).isEqualTo("[[64,0.5],[128,0.75]]");
    }

    /**
     * What the view holds and sends of a wide-deep task does not grow with its model: a model of 4 MiB of parameters
     * in chunks and a long spec gives the JSON a model of 1 KiB gives, and no bytes are kept.
     */
    @Test
    void aWideDeepTasksViewDoesNotGrowWithItsModel() throws Exception {
        DashboardView small = new DashboardView();
        DashboardView large = new DashboardView();
        for (int version = 1; version <= 3; version++) {
            Map<String, Double> metrics = Map.of("prequentialAccuracy", 0.5 + version / 10.0, "prequentialLoss", 0.7);
            ModelSnapshot tiny = wideDeep(version, metrics, "{\"algorithm\":\"wide-deep\"}", 1 << 10);
            small.model("clicks/default", tiny);
            ModelSnapshot huge = wideDeep(version, metrics,
                    "{\"algorithm\":\"wide-deep\",\"embeddings\":\"" + "x".repeat(1 << 18) + "\"}", 4 << 20);
            for (ModelSnapshot part : SnapshotChunks.split(huge, 1 << 20)) {
                large.model(SnapshotChunks.key(part), part);
            }
        }
        assertThat(large.toJson()).isEqualTo(small.toJson());
        Retained retained = Retained.from(large);
        assertThat(retained.bytes).as("bytes the view holds").isZero();
        assertThat(retained.records).as("records the view holds").isEmpty();
    }

    private static ModelSnapshot wideDeep(long version, Map<String, Double> metrics, String spec, int parameterBytes) {
        return ModelSnapshot.newBuilder(snapshot("clicks", "default", version, version * 1000, metrics))
                .setAlgorithm("wide-deep").setSpec(spec).setParameters(ByteBuffer.allocate(parameterBytes)).build();
    }

    @Test
    void aLossMetricWhenPresentIsASecondCurveAndANonFiniteValueIsNull() throws Exception {
        Map<String, Double> metrics = new HashMap<>(Map.of("prequentialAccuracy", Double.NaN));
        metrics.put("prequentialLoss", 1.25);
        view.model("t/v", snapshot("t", "v", 1, 10, metrics));

        JsonNode variant = only(only(json().get("tasks")).get("variants"));
        assertThat(variant.get("loss").toString()).isEqualTo("[[10,1.25]]");
        assertThat(variant.get("accuracy").toString()).isEqualTo("[[10,null]]");
    }

    @Test
    void eachSeriesKeepsItsLastPointsOnly() throws Exception {
        for (int version = 1; version <= 5; version++) {
            view.model("t/v", snapshot("t", "v", version, version * 10L, Map.of("prequentialAccuracy", version / 10.0)));
        }
        JsonNode variant = only(only(json().get("tasks")).get("variants"));
        assertThat(variant.get("accuracy").toString()).isEqualTo("[[30,0.3],[40,0.4],[50,0.5]]");
        assertThat(variant.get("snapshots").asLong()).as("all counted").isEqualTo(5);
    }

    @Test
    void theSeriesShareTheirPointsBoundAndAVariantThatComesTrimsTheOthersAtOnce() throws Exception {
        DashboardView shared = new DashboardView(10, 2, 2, 2, 40);
        for (int version = 1; version <= 12; version++) {
            shared.model("t/a", snapshot("t", "a", version, version, Map.of("prequentialAccuracy", 0.5,
                    "prequentialLoss", 1.0)));
        }
        shared.model("t/b", snapshot("t", "b", 1, 1, Map.of("prequentialAccuracy", 0.5)));
        assertThat(points(shared, "a", "accuracy")).as("4 series of 40 points: each its own bound, 10")
                .containsExactly(3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);

        shared.model("u/c", snapshot("u", "c", 1, 1, Map.of("prequentialAccuracy", 0.5)));
        assertThat(points(shared, "a", "accuracy")).as("6 series of 40 points: 6 each, the oldest gone first")
                .containsExactly(7L, 8L, 9L, 10L, 11L, 12L);
        assertThat(points(shared, "a", "loss")).containsExactly(7L, 8L, 9L, 10L, 11L, 12L);

        shared.model("u/c", null);
        shared.model("t/a", snapshot("t", "a", 13, 13, Map.of("prequentialAccuracy", 0.5)));
        assertThat(points(shared, "a", "accuracy")).as("c gone: 10 each again").hasSize(7).endsWith(13L);
    }

    /** At the task and variant bounds, the curves hold the points bound over all series, not 2000 each. */
    @Test
    void atTheTaskAndVariantBoundsTheCurvesHoldTheirSharedBound() throws Exception {
        DashboardView full = new DashboardView();
        int snapshots = 2 * DashboardView.MAX_CURVE_POINTS / (2 * DashboardView.MAX_TASKS * DashboardView.MAX_VARIANTS);
        for (int version = 1; version <= snapshots; version++) {
            for (int t = 0; t < DashboardView.MAX_TASKS; t++) {
                for (int v = 0; v < DashboardView.MAX_VARIANTS; v++) {
                    full.model("t" + t + "/v" + v, snapshot("t" + t, "v" + v, version, version,
                            Map.of("prequentialAccuracy", 0.5, "prequentialLoss", 1.0)));
                }
            }
        }
        JsonNode json = JSON.readTree(full.toJson());
        long points = 0;
        for (JsonNode task : json.get("tasks")) {
            for (JsonNode variant : task.get("variants")) {
                points += variant.get("accuracy").size() + variant.get("loss").size();
            }
        }
        assertThat(points).isEqualTo(DashboardView.MAX_CURVE_POINTS);
    }

    /** The examples-seen of variant {@code variant}'s {@code series} points, of the view's only variant so named. */
    private static List<Long> points(DashboardView view, String variant, String series) throws Exception {
        JsonNode json = JSON.readTree(view.toJson());
        List<Long> examples = new java.util.ArrayList<>();
        for (JsonNode task : json.get("tasks")) {
            for (JsonNode v : task.get("variants")) {
                if (v.get("variant").asText().equals(variant)) {
                    v.get(series).forEach(p -> examples.add(p.get(0).asLong()));
                }
            }
        }
        return examples;
    }

    @Test
    void variantsOfATaskAreRankedOnALeaderboardByLatestAccuracy() throws Exception {
        view.model("t/a", snapshot("t", "a", 3, 300, Map.of("prequentialAccuracy", 0.6)));
        view.model("t/b", snapshot("t", "b", 2, 200, Map.of("prequentialAccuracy", 0.8)));

        JsonNode task = only(json().get("tasks"));
        assertThat(task.get("variants")).hasSize(2);
        JsonNode board = task.get("leaderboard");
        assertThat(board).hasSize(2);
        assertThat(board.get(0).get("variant").asText()).isEqualTo("b");
        assertThat(board.get(0).get("prequentialAccuracy").asDouble()).isEqualTo(0.8);
        assertThat(board.get(1).get("variant").asText()).isEqualTo("a");
    }

    @Test
    void aModelTombstoneRemovesItsVariantAndAnEmptyTaskDisappears() throws Exception {
        view.model("t/v", snapshot("t", "v", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        view.model("t/v", null);
        assertThat(json().get("tasks")).isEmpty();
    }

    @Test
    void anAnnotatorsConfusionIsAKByKMatrixAndItsTombstoneRemovesIt() throws Exception {
        float[] confusion = {0.8f, 0.1f, 0.1f, 0.2f, 0.7f, 0.1f, 0f, 0.5f, 0.5f};
        view.annotator("t/ann-1", annotator("t", "ann-1", 3, confusion));
        view.annotator("t/ann-2", annotator("t", "ann-2", 3, confusion));

        JsonNode annotators = only(json().get("tasks")).get("annotators");
        assertThat(annotators).hasSize(2);
        JsonNode first = annotators.get(0);
        assertThat(first.get("annotator").asText()).isEqualTo("ann-1");
        assertThat(first.get("numClasses").asInt()).isEqualTo(3);
        assertThat(first.get("reliability").asDouble()).isEqualTo(0.7);
        assertThat(first.get("labelsSeen").asLong()).isEqualTo(42);
        assertThat(first.get("weight").isNull()).isTrue();
        assertThat(first.get("confusion")).hasSize(3);
        assertThat(first.get("confusion").get(1).toString()).isEqualTo("[0.2,0.7,0.1]");

        view.annotator("t/ann-1", null);
        JsonNode left = only(json().get("tasks")).get("annotators");
        assertThat(left).hasSize(1);
        assertThat(left.get(0).get("annotator").asText()).isEqualTo("ann-2");
    }

    @Test
    void anAnnotatorWhoseConfusionIsNotKByKFloatsIsRefusedNamingTheFieldAndNothingIsKept() throws Exception {
        AnnotatorModel truncated = annotator("t", "ann", 3, new float[9]);
        truncated.setConfusion(ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> view.annotator("t/ann", truncated)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("confusion: expected numClasses² = 9 float32 values (36 bytes), got 3 bytes");

        AnnotatorModel huge = annotator("t", "ann", 3, new float[9]);
        huge.setNumClasses(Integer.MAX_VALUE);
        assertThatThrownBy(() -> view.annotator("t/ann", huge)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("numClasses: expected 2..4096, got 2147483647");

        assertThat(json().get("tasks")).as("nothing kept, and the view is still written").isEmpty();
    }

    @Test
    void annotatorsAndConsensusOfTwoVariantsAreKeptApartAndATombstoneRemovesOnlyItsOwnKey() throws Exception {
        // The train job's keys: task/annotator for variant default, task/annotator U+001F variant for any other.
        view.annotator("t/ann", annotator("t", "default", "ann", 2, new float[] {0.9f, 0.1f, 0.2f, 0.8f}));
        view.annotator("t/ann\u001Fb", annotator("t", "b", "ann", 2, new float[] {0.6f, 0.4f, 0.3f, 0.7f}));
        view.consensus("t/x", consensus("t", "default", "x", List.of(0.8, 0.2), 0, 1, 1));
        view.consensus("t/x\u001Fb", consensus("t", "b", "x", List.of(0.3, 0.7), 1, 1, 1));

        JsonNode task = only(json().get("tasks"));
        JsonNode annotators = task.get("annotators");
        assertThat(annotators).as("one model of annotator ann per variant").hasSize(2);
        assertThat(annotators.get(0).get("variant").asText()).isEqualTo("b");
        assertThat(annotators.get(0).get("annotator").asText()).isEqualTo("ann");
        assertThat(annotators.get(0).get("confusion").get(0).toString()).isEqualTo("[0.6,0.4]");
        assertThat(annotators.get(1).get("variant").asText()).isEqualTo("default");
        assertThat(annotators.get(1).get("confusion").get(0).toString()).isEqualTo("[0.9,0.1]");
        JsonNode consensus = task.get("consensus");
        assertThat(consensus).as("one coverage per variant").hasSize(2);
        assertThat(consensus.get(0).get("variant").asText()).isEqualTo("b");
        assertThat(consensus.get(0).get("items").asLong()).as("item x once per variant").isEqualTo(1);
        assertThat(consensus.get(0).get("classes").toString()).isEqualTo("[0,1]");
        assertThat(consensus.get(1).get("variant").asText()).isEqualTo("default");
        assertThat(consensus.get(1).get("items").asLong()).isEqualTo(1);
        assertThat(consensus.get(1).get("classes").toString()).isEqualTo("[1,0]");

        view.annotator("t/ann\u001Fb", null);
        view.consensus("t/x\u001Fb", null);
        JsonNode left = only(json().get("tasks"));
        assertThat(left.get("annotators")).as("variant default's model of ann is live").hasSize(1);
        assertThat(left.get("annotators").get(0).get("variant").asText()).isEqualTo("default");
        assertThat(left.get("consensus")).hasSize(1);
        assertThat(left.get("consensus").get(0).get("variant").asText()).isEqualTo("default");
    }

    @Test
    void consensusIsCountedPerItemAndARepublishedItemMovesItsClassOnce() throws Exception {
        view.model("crowd/default", snapshot("crowd", "default", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        view.consensus("crowd/a", consensus("crowd", "a", List.of(0.95, 0.03, 0.02), 0, 3, 1));
        view.consensus("crowd/b", consensus("crowd", "b", List.of(0.2, 0.6, 0.2), 1, 1, 1));
        view.consensus("crowd/c", consensus("crowd", "c", List.of(0.4, 0.3, 0.3), 0, 2, 1));
        view.consensus("crowd/a", consensus("crowd", "a", List.of(0.1, 0.85, 0.05), 1, 4, 2));

        JsonNode consensus = only(only(json().get("tasks")).get("consensus"));
        assertThat(consensus.get("variant").asText()).isEqualTo("default");
        assertThat(consensus.get("items").asLong()).as("a, b, c: a counted once").isEqualTo(3);
        assertThat(consensus.get("forgotten").asLong()).isZero();
        assertThat(consensus.get("classes").toString()).as("items by most likely class: a moved from 0 to 1")
                .isEqualTo("[1,2,0]");
        assertThat(consensus.get("posteriorMax").get("atLeast90").asDouble()).as("a's 0.95 was replaced by 0.85")
                .isZero();
        assertThat(consensus.get("posteriorMax").get("atLeast50").asDouble()).as("a 0.85, b 0.6 of 3")
                .isCloseTo(2 / 3.0, within(1e-12));
        assertThat(consensus.get("meanLabels").asDouble()).as("(4 + 1 + 2) / 3").isCloseTo(7 / 3.0, within(1e-12));
        JsonNode recent = consensus.get("recent");
        assertThat(recent).as("the latest 2 changed items, newest first, each once").hasSize(2);
        assertThat(recent.get(0).get("item").asText()).isEqualTo("a");
        assertThat(recent.get(0).get("mostLikely").asInt()).isEqualTo(1);
        assertThat(recent.get(0).get("previous").asInt()).isEqualTo(0);
        assertThat(recent.get(0).get("posteriorMax").asDouble()).isEqualTo(0.85);
        assertThat(recent.get(0).get("labels").asInt()).isEqualTo(4);
        assertThat(recent.get(0).get("version").asLong()).isEqualTo(2);
        assertThat(recent.get(1).get("item").asText()).isEqualTo("c");
        assertThat(recent.get(1).get("previous").isNull()).as("c's first record").isTrue();
    }

    @Test
    void aTaskWithoutConsensusRecordsHasNoConsensusAndATombstoneRemovesItsItem() throws Exception {
        view.model("t/v", snapshot("t", "v", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        assertThat(only(json().get("tasks")).has("consensus")).isFalse();

        view.consensus("t/x", consensus("t", "x", List.of(0.3, 0.7), 1, 2, 1));
        view.consensus("t/y", consensus("t", "y", List.of(0.9, 0.1), 0, 1, 1));
        view.consensus("t/x", null);
        JsonNode consensus = only(only(json().get("tasks")).get("consensus"));
        assertThat(consensus.get("items").asLong()).isEqualTo(1);
        assertThat(consensus.get("classes").toString()).isEqualTo("[1,0]");
        assertThat(consensus.get("recent")).hasSize(1);

        view.consensus("t/y", null);
        assertThat(only(json().get("tasks")).has("consensus")).as("no consensus left").isFalse();
    }

    @Test
    void itemsBeyondTheBoundAreForgottenLeastRecentlyChangedFirstAndSaidSo() throws Exception {
        DashboardView bounded = new DashboardView(3, 2, 2, 2);
        bounded.consensus("t/a", consensus("t", "a", List.of(0.9, 0.1), 0, 1, 1));
        bounded.consensus("t/b", consensus("t", "b", List.of(0.1, 0.9), 1, 1, 1));
        bounded.consensus("t/a", consensus("t", "a", List.of(0.8, 0.2), 0, 2, 2));
        bounded.consensus("t/c", consensus("t", "c", List.of(0.2, 0.8), 1, 1, 1));

        JsonNode consensus = only(only(JSON.readTree(bounded.toJson()).get("tasks")).get("consensus"));
        assertThat(consensus.get("items").asLong()).as("a and c kept").isEqualTo(2);
        assertThat(consensus.get("forgotten").asLong()).as("b, the least recently changed").isEqualTo(1);
        assertThat(consensus.get("classes").toString()).isEqualTo("[1,1]");
    }

    @Test
    void aConsensusWhoseMostLikelyClassIsNotInItsPosteriorIsRefusedNamingTheField() throws Exception {
        assertThatThrownBy(() -> view.consensus("t/x", consensus("t", "x", List.of(0.5, 0.5), 2, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mostLikely").hasMessageContaining("0..1").hasMessageContaining("got 2");
        assertThat(json().get("tasks")).as("nothing counted").isEmpty();
    }

    @Test
    void aConsensusOfMoreClassesThanAnAnnotatorRecordMayHaveIsRefusedNamingTheField() throws Exception {
        List<Double> wide = Collections.nCopies(PrequentialConfusion.MAX_CLASSES + 1, 0.0);
        assertThatThrownBy(() -> view.consensus("t/x", consensus("t", "x", wide, 0, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("posterior")
                .hasMessageContaining("1.." + PrequentialConfusion.MAX_CLASSES)
                .hasMessageContaining("got " + (PrequentialConfusion.MAX_CLASSES + 1));
        assertThatThrownBy(() -> view.consensus("t/x", consensus("t", "x", List.of(), 0, 1, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThat(json().get("tasks")).as("nothing counted").isEmpty();
    }

    @Test
    void deadLettersAreCountedByFieldAndReasonWithTheLatestFewKept() throws Exception {
        view.deadLetter(letter("label", "label: expected 0..9, got 42", 1));
        view.deadLetter(letter("label", "label: expected 0..9, got 42", 2));
        view.deadLetter(letter("label", "label: expected 0..9, got -1", 3));
        view.deadLetter(letter("label", "label: expected 0..9, got 77", 4));
        view.deadLetter(letter(null, "not an Example: unexpected bytes", 5));

        JsonNode dead = json().get("deadLetters");
        assertThat(dead.get("total").asLong()).isEqualTo(5);
        JsonNode fields = dead.get("byField");
        assertThat(fields).hasSize(2);
        JsonNode label = fields.get(0);
        assertThat(label.get("field").asText()).as("most letters first").isEqualTo("label");
        assertThat(label.get("count").asLong()).isEqualTo(4);
        assertThat(label.get("reasons")).as("at most 2 distinct reasons kept").hasSize(2);
        assertThat(label.get("reasons").get(0).get("reason").asText()).isEqualTo("label: expected 0..9, got 42");
        assertThat(label.get("reasons").get(0).get("count").asLong()).isEqualTo(2);
        assertThat(label.get("otherReasons").asLong()).as("the third distinct reason, counted").isEqualTo(1);
        assertThat(label.get("recent")).hasSize(2);
        assertThat(label.get("recent").get(0).get("offset").asLong()).as("newest first").isEqualTo(4);
        assertThat(fields.get(1).get("field").asText()).as("no field: the whole record").isEqualTo("(record)");
    }

    /**
     * A field of a dead letter may name any path of the producer's record: past 64 distinct fields, letters are counted
     * under one more, "(other fields)", so that letters about ever new field names keep no reasons or letters apiece.
     */
    @Test
    void deadLettersOfFieldsPastTheBoundAreCountedTogether() throws Exception {
        for (int i = 0; i < 1000; i++) {
            view.deadLetter(letter("fields.f" + i, "field 'fields.f" + i + "': expected a number, got \"x\"", i));
        }
        view.deadLetter(letter("fields.f3", "field 'fields.f3': expected a number, got \"y\"", 1000));

        JsonNode dead = json().get("deadLetters");
        assertThat(dead.get("total").asLong()).isEqualTo(1001);
        JsonNode fields = dead.get("byField");
        assertThat(fields).hasSize(DashboardView.MAX_DEAD_LETTER_FIELDS + 1);
        JsonNode other = fields.get(0);
        assertThat(other.get("field").asText()).isEqualTo("(other fields)");
        assertThat(other.get("count").asLong()).isEqualTo(1000 - DashboardView.MAX_DEAD_LETTER_FIELDS);
        assertThat(fields.get(1).get("field").asText()).as("a field counted apart keeps its count").isEqualTo("fields.f3");
        assertThat(fields.get(1).get("count").asLong()).isEqualTo(2);
    }

    @Test
    void undecodableRecordsAreCountedPerTopicNotDropped() throws Exception {
        view.following("models", "chorus.models");
        view.undecodable("chorus.models", "0@7", "not a Chorus record: expected Avro or JSON, got 6E 6F");
        JsonNode topic = only(json().get("topics"));
        assertThat(topic.get("role").asText()).isEqualTo("models");
        assertThat(topic.get("topic").asText()).isEqualTo("chorus.models");
        assertThat(topic.get("undecodable").asLong()).isEqualTo(1);
        assertThat(topic.get("lastUndecodable").asText()).isEqualTo("0@7: not a Chorus record: expected Avro or JSON, got 6E 6F");
    }

    @Test
    void ofSnapshotsDeadLettersAndConsensusTheViewKeepsWhatThePageShowsNotTheRecordsNorTheirBytes() throws Exception {
        ModelSnapshot big = snapshot("t", "v", 1, 10, Map.of("prequentialAccuracy", 0.5, "prequentialLoss", 0.7));
        big.setParameters(ByteBuffer.allocate(1 << 20));
        view.model("t/v", big);
        DeadLetter letter = letter("label", "label: expected 0..9, got 42", 1);
        letter.setOriginal(ByteBuffer.allocate(1 << 20));
        view.deadLetter(letter);
        view.consensus("t/x", consensus("t", "x", List.of(0.8, 0.2), 0, 1, 1));

        Retained retained = Retained.from(view);
        assertThat(retained.bytes).as("bytes of buffers and byte arrays the view holds").isZero();
        assertThat(retained.records).as("records the view holds").isEmpty();
        JsonNode variant = only(only(json().get("tasks")).get("variants"));
        assertThat(variant.get("version").asLong()).isEqualTo(1);
        assertThat(variant.get("examplesSeen").asLong()).isEqualTo(10);
        assertThat(variant.get("algorithm").asText()).isEqualTo("softmax-regression");
        assertThat(variant.get("createdAt").asLong()).isEqualTo(1_700_000_000_001L);
        JsonNode recent = only(json().get("deadLetters").get("byField")).get("recent").get(0);
        assertThat(recent.toString()).isEqualTo("{\"topic\":\"chorus.examples\",\"partition\":0,\"offset\":1,"
                + "\"reason\":\"label: expected 0..9, got 42\",\"time\":1700000000000}");
    }

    @Test
    void everyChangeMovesTheRevisionSoThePageIsPushedOnlyWhatIsNew() {
        long before = view.revision();
        view.deadLetter(letter("weight", "weight: expected >= 0, got -1", 1));
        assertThat(view.revision()).isGreaterThan(before);
    }

    @Test
    void tasksPastTheBoundAreDroppedAndCountedAndATaskThatLeavesMakesRoom() throws Exception {
        for (int t = 0; t < DashboardView.MAX_TASKS + 5; t++) {
            view.model("t" + t + "/v", snapshot("t" + t, "v", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        }
        view.annotator("late/ann", annotator("late", "ann", 2, new float[4]));
        view.consensus("late/x", consensus("late", "x", List.of(0.4, 0.6), 1, 1, 1));
        view.model("t0/v", snapshot("t0", "v", 2, 20, Map.of("prequentialAccuracy", 0.6)));

        JsonNode json = json();
        assertThat(json.get("tasks")).hasSize(DashboardView.MAX_TASKS);
        assertThat(dropped(json)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "model snapshots of tasks past the first 100", 5L,
                "annotator models of tasks past the first 100", 1L,
                "consensus items of tasks past the first 100", 1L));
        assertThat(json.get("tasks").get(0).get("variants").get(0).get("version").asLong())
                .as("a task kept is still updated").isEqualTo(2);

        view.model("t1/v", null);
        view.model("late/v", snapshot("late", "v", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        assertThat(json().get("tasks").findValuesAsText("task")).contains("late").doesNotContain("t1");
    }

    @Test
    void variantsOfATaskPastTheBoundAreDroppedAndCountedWhateverRecordNamesThem() throws Exception {
        for (int v = 0; v < DashboardView.MAX_VARIANTS; v++) {
            view.model("t/v" + v, snapshot("t", "v" + v, 1, 10, Map.of("prequentialAccuracy", 0.5)));
        }
        view.model("t/extra", snapshot("t", "extra", 1, 10, Map.of("prequentialAccuracy", 0.5)));
        view.annotator("t/ann\u001Fextra", annotator("t", "extra", "ann", 2, new float[4]));
        view.consensus("t/x\u001Fextra", consensus("t", "extra", "x", List.of(0.4, 0.6), 1, 1, 1));
        view.annotator("t/ann\u001Fv3", annotator("t", "v3", "ann", 2, new float[4]));

        JsonNode json = json();
        JsonNode task = only(json.get("tasks"));
        assertThat(task.get("variants")).hasSize(DashboardView.MAX_VARIANTS);
        assertThat(task.get("annotators")).as("a variant the task has").hasSize(1);
        assertThat(dropped(json)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "model snapshots of variants past the first 20 of a task", 1L,
                "annotator models of variants past the first 20 of a task", 1L,
                "consensus items of variants past the first 20 of a task", 1L));
    }

    @Test
    void annotatorModelsPastTheBoundAreDroppedAndCountedAndOnesKeptAreStillUpdated() throws Exception {
        for (int a = 0; a < DashboardView.MAX_ANNOTATORS + 3; a++) {
            view.annotator("t" + a % 7 + "/ann" + a, annotator("t" + a % 7, "ann" + a, 2, new float[4]));
        }
        AnnotatorModel again = annotator("t0", "ann0", 2, new float[] {1, 0, 0, 1});
        view.annotator("t0/ann0", again);

        JsonNode json = json();
        int kept = 0;
        for (JsonNode task : json.get("tasks")) {
            kept += task.get("annotators").size();
        }
        assertThat(kept).isEqualTo(DashboardView.MAX_ANNOTATORS);
        assertThat(dropped(json)).containsExactlyEntriesOf(Map.of("annotator models past the first 500", 3L));
        assertThat(json.get("tasks").get(0).get("annotators").get(0).get("confusion").toString())
                .isEqualTo("[[1.0,0.0],[0.0,1.0]]");
    }

    @Test
    void keysPastAKibibyteAndNamesPastTheTextBoundAreRefusedNamingTheField() throws Exception {
        String key = "t/" + "k".repeat(DashboardView.MAX_KEY_CHARS - 1);
        assertThatThrownBy(() -> view.model(key, snapshot("t", "v", 1, 10, Map.of())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("key: expected at most 1024 characters, got 1025");
        assertThatThrownBy(() -> view.annotator(key, null)).hasMessageStartingWith("key: ");
        assertThatThrownBy(() -> view.consensus(key, consensus("t", "x", List.of(1.0), 0, 1, 1)))
                .hasMessageStartingWith("key: ");
        String longName = "n".repeat(DashboardView.MAX_TEXT_CHARS + 1);
        assertThatThrownBy(() -> view.model("t/v", snapshot(longName, "v", 1, 10, Map.of())))
                .hasMessage("task: expected at most 256 characters, got 257");
        assertThatThrownBy(() -> view.annotator("t/a", annotator("t", longName, 2, new float[4])))
                .hasMessage("annotator: expected at most 256 characters, got 257");
        assertThatThrownBy(() -> view.consensus("t/x", consensus("t", longName, "x", List.of(1.0), 0, 1, 1)))
                .hasMessage("variant: expected at most 256 characters, got 257");
        assertThat(json().get("tasks")).as("nothing kept").isEmpty();
    }

    @Test
    void longTextIsCutToTheBoundWithoutSplittingASurrogatePair() throws Exception {
        String smiles = "a".repeat(DashboardView.MAX_TEXT_CHARS - 1) + "\uD83D\uDE00".repeat(1000);
        ModelSnapshot s = snapshot("t", "v", 1, 10, Map.of());
        s.setAlgorithm(smiles);
        view.model("t/v", s);
        view.consensus("t/x", consensus("t", smiles, List.of(1.0), 0, 1, 1));
        DeadLetter letter = letter(smiles, "r".repeat(1 << 20), 1);
        letter.setTopic(smiles);
        view.deadLetter(letter);
        view.following("models", "chorus.models");
        view.undecodable("chorus.models", "0@1", "x".repeat(1 << 20));

        JsonNode json = json();
        String cut = "a".repeat(DashboardView.MAX_TEXT_CHARS - 1) + "…";
        JsonNode task = only(json.get("tasks"));
        assertThat(task.get("variants").get(0).get("algorithm").asText()).isEqualTo(cut);
        assertThat(task.get("consensus").get(0).get("recent").get(0).get("item").asText()).isEqualTo(cut);
        JsonNode field = only(json.get("deadLetters").get("byField"));
        assertThat(field.get("field").asText()).isEqualTo(cut);
        assertThat(field.get("reasons").get(0).get("reason").asText()).hasSize(DashboardView.MAX_TEXT_CHARS + 1);
        assertThat(field.get("recent").get(0).get("topic").asText()).isEqualTo(cut);
        assertThat(field.get("recent").get(0).get("reason").asText()).hasSize(DashboardView.MAX_TEXT_CHARS + 1);
        assertThat(only(json.get("topics")).get("lastUndecodable").asText())
                .hasSize(DashboardView.MAX_TEXT_CHARS + 1);
    }

    @Test
    void aConfusionPastTheDrawnClassesIsSentAsItsSummaryOnlyAndNotKept() throws Exception {
        int k = DashboardView.MAX_DRAWN_CLASSES + 1;
        view.annotator("t/big", annotator("t", "big", k, new float[k * k]));
        view.annotator("t/small", annotator("t", "small", DashboardView.MAX_DRAWN_CLASSES,
                new float[DashboardView.MAX_DRAWN_CLASSES * DashboardView.MAX_DRAWN_CLASSES]));

        JsonNode annotators = only(json().get("tasks")).get("annotators");
        assertThat(annotators.get(0).get("annotator").asText()).isEqualTo("big");
        assertThat(annotators.get(0).get("numClasses").asInt()).isEqualTo(k);
        assertThat(annotators.get(0).get("reliability").asDouble()).isEqualTo(0.7);
        assertThat(annotators.get(0).get("confusion").isNull()).as("too large to draw").isTrue();
        assertThat(annotators.get(1).get("confusion")).hasSize(DashboardView.MAX_DRAWN_CLASSES);
        Retained retained = Retained.from(view);
        assertThat(retained.records).as("records the view holds").isEmpty();
        assertThat(retained.floats).as("floats the view holds: the drawn matrix only")
                .isEqualTo(DashboardView.MAX_DRAWN_CLASSES * DashboardView.MAX_DRAWN_CLASSES);
    }

    /**
     * The matrices sent share a bound of cells: each task's most active annotator first, then each task's second,
     * and so on; an annotator that labels more takes the place of a less active one. The others are listed, most
     * active first, with their summary, and counted.
     */
    @Test
    void theMatricesSentShareTheirCellsBoundEachTasksMostActiveAnnotatorsFirst() throws Exception {
        DashboardView bounded = new DashboardView(3, 2, 2, 2, 40, 3 * 9);
        float[] confusion = new float[9];
        bounded.annotator("t/a", annotator("t", "a", 3, confusion, 10));
        bounded.annotator("t/b", annotator("t", "b", 3, confusion, 30));
        bounded.annotator("t/c", annotator("t", "c", 3, confusion, 20));
        bounded.annotator("u/d", annotator("u", "d", 3, confusion, 5));
        bounded.annotator("u/e", annotator("u", "e", 3, confusion, 50));

        JsonNode json = JSON.readTree(bounded.toJson());
        assertThat(drawnAnnotators(json.get("tasks").get(0))).as("t: b, its most active, and c, its second")
                .containsExactly("b", "c");
        assertThat(listedAnnotators(json.get("tasks").get(0))).as("most active first").containsExactly("b", "c", "a");
        assertThat(json.get("tasks").get(0).get("matricesHidden").asInt()).isEqualTo(1);
        JsonNode a = json.get("tasks").get(0).get("annotators").get(2);
        assertThat(a.get("confusion").isNull()).isTrue();
        assertThat(a.get("matrixHidden").asBoolean()).isTrue();
        assertThat(a.get("labelsSeen").asLong()).as("its summary is sent").isEqualTo(10);
        assertThat(drawnAnnotators(json.get("tasks").get(1))).as("u: e, its most active; d (5) after c (20)")
                .containsExactly("e");
        assertThat(json.get("tasks").get(1).get("matricesHidden").asInt()).isEqualTo(1);

        bounded.annotator("t/a", annotator("t", "a", 3, confusion, 100));
        json = JSON.readTree(bounded.toJson());
        assertThat(drawnAnnotators(json.get("tasks").get(0))).as("a now labels most: a and b").containsExactly("a", "b");
        assertThat(drawnAnnotators(json.get("tasks").get(1))).containsExactly("e");
    }

    /**
     * 500 annotators of 64 classes: the matrices sent hold the cells bound (24 matrices of 64²), not 500 × 64² = 2,048,000
     * numbers, and they are each task's most active annotators'.
     */
    @Test
    void atTheAnnotatorBoundTheMatricesSentHoldTheirCellsBound() throws Exception {
        int k = DashboardView.MAX_DRAWN_CLASSES;
        int tasks = 5;
        int each = DashboardView.MAX_ANNOTATORS / tasks;
        DashboardView full = new DashboardView();
        for (int t = 0; t < tasks; t++) {
            for (int n = 0; n < each; n++) {
                full.annotator("t" + t + "/a" + n, annotator("t" + t, "a" + n, k, new float[k * k], 10L * n + t));
            }
        }
        JsonNode json = JSON.readTree(full.toJson());
        long cells = 0;
        int hidden = 0;
        for (JsonNode task : json.get("tasks")) {
            for (JsonNode a : task.get("annotators")) {
                cells += numbers(a.get("confusion"));
            }
            hidden += task.path("matricesHidden").asInt();
        }
        int matrices = DashboardView.MAX_MATRIX_CELLS / (k * k);
        assertThat(cells).isEqualTo((long) matrices * k * k).isLessThanOrEqualTo(DashboardView.MAX_MATRIX_CELLS);
        assertThat(hidden).isEqualTo(DashboardView.MAX_ANNOTATORS - matrices);
        for (JsonNode task : json.get("tasks")) {
            int t = Integer.parseInt(task.get("task").asText().substring(1));
            List<String> mostActive = t == 0 ? List.of("a99", "a98", "a97", "a96")
                    : List.of("a99", "a98", "a97", "a96", "a95"); // of the fifth most active, the four most active
            assertThat(drawnAnnotators(task)).as(task.get("task").asText()).isEqualTo(mostActive);
        }
        assertThat(numbers(json)).as("the whole view").isLessThan(DashboardView.MAX_MATRIX_CELLS + 5_000);
    }

    private static List<String> drawnAnnotators(JsonNode task) {
        List<String> drawn = new java.util.ArrayList<>();
        task.get("annotators").forEach(a -> {
            if (a.get("confusion").isArray()) {
                drawn.add(a.get("annotator").asText());
            }
        });
        return drawn;
    }

    private static List<String> listedAnnotators(JsonNode task) {
        List<String> listed = new java.util.ArrayList<>();
        task.get("annotators").forEach(a -> listed.add(a.get("annotator").asText()));
        return listed;
    }

    @Test
    void aCoverageWhoseItemsWereAllForgottenLeavesItsTaskAndTheViewCountsWhatItForgot() throws Exception {
        DashboardView bounded = new DashboardView(3, 2, 2, 2);
        bounded.consensus("old/a", consensus("old", "a", List.of(0.9, 0.1), 0, 1, 1));
        bounded.consensus("new/b", consensus("new", "b", List.of(0.9, 0.1), 0, 1, 1));
        bounded.consensus("new/c", consensus("new", "c", List.of(0.9, 0.1), 0, 1, 1));

        JsonNode json = JSON.readTree(bounded.toJson());
        assertThat(only(json.get("tasks")).get("task").asText()).as("old's only item was forgotten").isEqualTo("new");
        assertThat(dropped(json)).containsExactlyEntriesOf(Map.of(
                "consensus items forgotten, least recently changed first, past the 2 most recently changed", 1L));

        bounded.consensus("old/a", null);
        bounded.consensus("new/b", null);
        bounded.consensus("new/c", null);
        assertThat(JSON.readTree(bounded.toJson()).get("tasks")).as("tombstones of every item left").isEmpty();
    }

    @Test
    void aLongPosteriorCountsClassesUpToItsLargestMostLikelyClassOnly() throws Exception {
        List<Double> wide = Collections.nCopies(PrequentialConfusion.MAX_CLASSES, 0.0);
        view.consensus("t/x", consensus("t", "x", wide, 3, 1, 1));
        JsonNode drawn = only(only(json().get("tasks")).get("consensus"));
        assertThat(drawn.get("classes")).as("a wide posterior: the classes a page draws")
                .hasSize(DashboardView.MAX_DRAWN_CLASSES);
        assertThat(drawn.has("classIds")).as("every class, by its index").isFalse();
        view.consensus("t/y", consensus("t", "y", wide, 100, 1, 1));
        JsonNode past = only(only(json().get("tasks")).get("consensus"));
        assertThat(past.get("classes").toString()).as("past the drawn classes: the classes items are of")
                .isEqualTo("[1,1]");
        assertThat(past.get("classIds").toString()).isEqualTo("[3,100]");
        assertThat(past.get("otherClasses").toString()).isEqualTo("{\"classes\":0,\"items\":0}");
    }

    /**
     * Past the drawn classes, the page is sent the classes of most items, most first, and one count of the others;
     * an item that leaves a class can bring another class in.
     */
    @Test
    void ofATaskOfMoreClassesThanDrawnTheClassesOfMostItemsAreSentAndTheOthersCountedTogether() throws Exception {
        int k = 100;
        List<Double> posterior = Collections.nCopies(k, 0.0);
        DashboardView classes = new DashboardView();
        for (int c = 0; c < k; c++) {
            for (int i = 0; i <= c; i++) { // class c is the most likely class of c + 1 items
                classes.consensus("t/" + c + "-" + i, consensus("t", c + "-" + i, posterior, c, 1, 1));
            }
        }
        JsonNode coverage = only(only(JSON.readTree(classes.toJson()).get("tasks")).get("consensus"));
        assertThat(coverage.get("items").asLong()).isEqualTo(k * (k + 1) / 2);
        assertThat(longs(coverage.get("classIds"))).as("the 64 classes of most items, most first")
                .isEqualTo(range(99, 36));
        assertThat(longs(coverage.get("classes"))).isEqualTo(range(100, 37));
        assertThat(coverage.get("otherClasses").get("classes").asLong()).as("classes 0..35").isEqualTo(36);
        assertThat(coverage.get("otherClasses").get("items").asLong()).as("1 + 2 + ... + 36").isEqualTo(666);

        for (int i = 0; i <= 99; i++) {
            classes.consensus("t/99-" + i, null);
        }
        coverage = only(only(JSON.readTree(classes.toJson()).get("tasks")).get("consensus"));
        assertThat(longs(coverage.get("classIds"))).as("class 99 has no item left: class 35 comes in")
                .isEqualTo(range(98, 35));
        assertThat(coverage.get("otherClasses").get("classes").asLong()).isEqualTo(35);
        assertThat(coverage.get("otherClasses").get("items").asLong()).as("1 + 2 + ... + 35").isEqualTo(630);
    }

    /**
     * At the task and variant bounds, each variant's consensus on a 4,096-class task with an item of its last class:
     * the class counts the page is sent are a count and a class per class some item is of (at most 64 per variant),
     * not 4,096 counts per variant (8,192,000 numbers before).
     */
    @Test
    void atTheTaskAndVariantBoundsConsensusClassCountsStayBounded() throws Exception {
        List<Double> wide = Collections.nCopies(PrequentialConfusion.MAX_CLASSES, 0.0);
        List<Double> narrow = Collections.nCopies(DashboardView.MAX_DRAWN_CLASSES, 0.0);
        int coverages = DashboardView.MAX_TASKS * DashboardView.MAX_VARIANTS;
        int itemsEach = DashboardView.MAX_CONSENSUS_ITEMS / coverages;
        DashboardView full = new DashboardView();
        for (int t = 0; t < DashboardView.MAX_TASKS; t++) {
            for (int v = 0; v < DashboardView.MAX_VARIANTS; v++) {
                // The first item is of the last class, the others of a class each (shorter posteriors, for speed).
                full.consensus("t" + t + "/0\u001Fv" + v, consensus("t" + t, "v" + v, "0", wide,
                        PrequentialConfusion.MAX_CLASSES - 1, 1, 1));
                for (int i = 1; i < itemsEach; i++) {
                    full.consensus("t" + t + "/" + i + "\u001Fv" + v, consensus("t" + t, "v" + v, String.valueOf(i),
                            narrow, i - 1, 1, 1));
                }
            }
        }
        JsonNode json = JSON.readTree(full.toJson());
        long classNumbers = 0;
        int seen = 0;
        for (JsonNode task : json.get("tasks")) {
            for (JsonNode coverage : task.get("consensus")) {
                seen++;
                classNumbers += numbers(coverage.get("classes")) + numbers(coverage.get("classIds"))
                        + numbers(coverage.get("otherClasses"));
            }
        }
        assertThat(seen).isEqualTo(coverages);
        assertThat(classNumbers).as("a count and a class per class some item is of, and the other classes' two")
                .isEqualTo(2L * DashboardView.MAX_CONSENSUS_ITEMS + 2L * coverages);
        assertThat(numbers(json)).as("the whole view").isLessThan(500_000);
    }

    /** The numbers in {@code json}, however deep. */
    private static long numbers(JsonNode json) {
        if (json == null) {
            return 0;
        }
        if (json.isNumber()) {
            return 1;
        }
        long n = 0;
        for (JsonNode child : json) {
            n += numbers(child);
        }
        return n;
    }

    private static List<Long> longs(JsonNode array) {
        List<Long> values = new java.util.ArrayList<>();
        array.forEach(n -> values.add(n.asLong()));
        return values;
    }

    /** from, from - 1, ..., to. */
    private static List<Long> range(long from, long to) {
        List<Long> values = new java.util.ArrayList<>();
        for (long x = from; x >= to; x--) {
            values.add(x);
        }
        return values;
    }

    @Test
    void aPosteriorValueThatIsNoProbabilityIsRefusedNamingItsClass() throws Exception {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, -0.1, 1.5}) {
            assertThatThrownBy(() -> view.consensus("t/x", consensus("t", "x", List.of(0.5, bad), 0, 1, 1)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("posterior[1]: expected a probability in [0, 1], got " + bad);
        }
        assertThat(json().get("tasks")).as("nothing counted").isEmpty();
    }

    @Test
    void aTimeAJavaScriptDateCannotHoldIsSentAsNull() throws Exception {
        ModelSnapshot s = snapshot("t", "v", 1, 10, Map.of());
        s.setCreatedAt(Long.MAX_VALUE);
        view.model("t/v", s);
        ModelSnapshot edge = snapshot("t", "w", 1, 10, Map.of());
        edge.setCreatedAt(-DashboardView.MAX_TIME);
        view.model("t/w", edge);
        AnnotatorModel a = annotator("t", "ann", 2, new float[4]);
        a.setUpdatedAt(Long.MIN_VALUE);
        view.annotator("t/ann", a);
        Consensus c = consensus("t", "x", List.of(1.0), 0, 1, 1);
        c.setUpdatedAt(-9_000_000_000_000_000L);
        view.consensus("t/x", c);
        DeadLetter letter = letter("label", "label: expected 0..9, got 42", 1);
        letter.setTime(DashboardView.MAX_TIME + 1);
        view.deadLetter(letter);

        JsonNode json = json();
        JsonNode task = only(json.get("tasks"));
        assertThat(task.get("variants").get(0).get("createdAt").isNull()).isTrue();
        assertThat(task.get("variants").get(1).get("createdAt").asLong()).as("the earliest a Date holds")
                .isEqualTo(-DashboardView.MAX_TIME);
        assertThat(task.get("annotators").get(0).get("updatedAt").isNull()).isTrue();
        assertThat(task.get("consensus").get(0).get("recent").get(0).get("updatedAt").isNull()).isTrue();
        assertThat(json.get("deadLetters").get("byField").get(0).get("recent").get(0).get("time").isNull()).isTrue();
    }

    /** The view's dropped records, by the bound they were past. */
    private static Map<String, Long> dropped(JsonNode json) {
        Map<String, Long> dropped = new HashMap<>();
        json.get("dropped").forEach(d -> dropped.put(d.get("bound").asText(), d.get("count").asLong()));
        return dropped;
    }

    /**
     * What an object holds, walked through its fields (the project's classes), maps, collections and arrays: the
     * bytes of every buffer and byte array, the floats of every float array, and the Avro records.
     */
    private static final class Retained {
        long bytes;
        long floats;
        final Set<String> records = new TreeSet<>();
        private final Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());

        static Retained from(Object root) throws IllegalAccessException {
            Retained retained = new Retained();
            retained.walk(root);
            return retained;
        }

        private void walk(Object o) throws IllegalAccessException {
            if (o == null || !seen.add(o)) {
                return;
            }
            if (o instanceof ByteBuffer buffer) {
                bytes += buffer.capacity();
            } else if (o instanceof byte[] array) {
                bytes += array.length;
            } else if (o instanceof float[] array) {
                floats += array.length;
            } else if (o instanceof Map<?, ?> map) {
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    walk(e.getKey());
                    walk(e.getValue());
                }
            } else if (o instanceof Collection<?> collection) {
                for (Object element : collection) {
                    walk(element);
                }
            } else if (o instanceof Object[] array) {
                for (Object element : array) {
                    walk(element);
                }
            } else if (o.getClass().getName().startsWith("dev.chorus.")) {
                if (o instanceof SpecificRecord) {
                    records.add(o.getClass().getSimpleName());
                }
                for (Class<?> c = o.getClass(); c != null && c.getName().startsWith("dev.chorus."); c = c.getSuperclass()) {
                    for (Field field : c.getDeclaredFields()) {
                        if (!Modifier.isStatic(field.getModifiers()) && !field.getType().isPrimitive()) {
                            field.setAccessible(true);
                            walk(field.get(o));
                        }
                    }
                }
            }
        }
    }

    private JsonNode json() throws Exception {
        return JSON.readTree(view.toJson());
    }

    private static JsonNode only(JsonNode array) {
        assertThat(array).hasSize(1);
        return array.get(0);
    }

    static ModelSnapshot snapshot(String task, String variant, long version, long examples, Map<String, Double> metrics) {
        return ModelSnapshot.newBuilder().setTask(task).setVariant(variant).setVersion(version)
                .setAlgorithm("softmax-regression").setSpec("{}").setParametersFormat(1)
                .setParameters(ByteBuffer.allocate(0)).setExamplesSeen(examples).setMetrics(metrics)
                .setCreatedAt(1_700_000_000_000L + version).setProvenance(Map.of()).build();
    }

    static AnnotatorModel annotator(String task, String annotator, int k, float[] confusion) {
        return annotator(task, "default", annotator, k, confusion);
    }

    static AnnotatorModel annotator(String task, String annotator, int k, float[] confusion, long labelsSeen) {
        return AnnotatorModel.newBuilder(annotator(task, annotator, k, confusion)).setLabelsSeen(labelsSeen).build();
    }

    static AnnotatorModel annotator(String task, String variant, String annotator, int k, float[] confusion) {
        return AnnotatorModel.newBuilder().setTask(task).setVariant(variant).setAnnotator(annotator).setVersion(1)
                .setNumClasses(k).setConfusion(Float32.pack(confusion)).setReliability(0.7).setWeight(null).setLabelsSeen(42)
                .setUpdatedAt(1_700_000_000_000L).build();
    }

    static Consensus consensus(String task, String item, List<Double> posterior, int mostLikely, int labels,
            long version) {
        return consensus(task, "default", item, posterior, mostLikely, labels, version);
    }

    static Consensus consensus(String task, String variant, String item, List<Double> posterior, int mostLikely,
            int labels, long version) {
        return Consensus.newBuilder().setTask(task).setVariant(variant).setItem(item).setPosterior(posterior)
                .setMostLikely(mostLikely).setLabels(labels).setAnnotators(List.of()).setVersion(version)
                .setUpdatedAt(1_700_000_000_000L + version).build();
    }

    static DeadLetter letter(String field, String reason, long offset) {
        return DeadLetter.newBuilder().setOriginal(ByteBuffer.allocate(0)).setKey(null).setTopic("chorus.examples")
                .setPartition(0).setOffset(offset).setReason(reason).setField(field).setTime(1_700_000_000_000L)
                .build();
    }
}
