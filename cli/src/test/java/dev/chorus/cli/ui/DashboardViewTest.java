package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
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
    void everyChangeMovesTheRevisionSoThePageIsPushedOnlyWhatIsNew() {
        long before = view.revision();
        view.deadLetter(letter("weight", "weight: expected >= 0, got -1", 1));
        assertThat(view.revision()).isGreaterThan(before);
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
        return AnnotatorModel.newBuilder().setTask(task).setAnnotator(annotator).setVersion(1).setNumClasses(k)
                .setConfusion(Float32.pack(confusion)).setReliability(0.7).setWeight(null).setLabelsSeen(42)
                .setUpdatedAt(1_700_000_000_000L).build();
    }

    static DeadLetter letter(String field, String reason, long offset) {
        return DeadLetter.newBuilder().setOriginal(ByteBuffer.allocate(0)).setKey(null).setTopic("chorus.examples")
                .setPartition(0).setOffset(offset).setReason(reason).setField(field).setTime(1_700_000_000_000L)
                .build();
    }
}
