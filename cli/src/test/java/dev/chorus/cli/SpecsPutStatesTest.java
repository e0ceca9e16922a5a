package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.SpecControl;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus specs put} judges a key by the state the train job holds it in ({@link JudgedSpecs#states}): each
 * control record goes both to the job's check-specs (SpecControl, in a harness) and to the control topic the command
 * reads, and what put writes, or refuses, is checked against what the job then does with it.
 */
class SpecsPutStatesTest {
    private static final String TOPIC = "chorus.specs";
    private static final String SEARCH = "{" + SpecsPutTest.MODEL + ",\"batchSize\":4,\"search\":{\"method\":\"random\","
            + "\"variants\":2,\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}";
    private static final String OTHER = "{" + SpecsPutTest.MODEL + ",\"batchSize\":8}";

    private final TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(null, Map.of()));
    private final RecordCodec<VariantSpecRecord> codec = settings.specsTopic().codec();
    private final List<ConsumerRecord<byte[], byte[]>> control = new ArrayList<>();
    private OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> job;

    @BeforeEach
    void startTheJobsCheck() throws Exception {
        job = ProcessFunctionTestHarnesses.forProcessFunction(new SpecControl(settings));
    }

    @AfterEach
    void stopIt() throws Exception {
        job.close();
    }

    /** The brief's case: after a search is retired, a variant it drew is retired too, as the job keeps it. */
    @Test
    void aVariantOfARetiredSearchIsRetiredAndTakesASpecOnlyWithRevive() throws Exception {
        write(SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        write(SpecsCommand.record("iris", "hp", null, "cli"));

        assertThatThrownBy(() -> verdict("hp-s0", OTHER, false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/hp-s0 is retired: add --revive to make it live again (from scratch)");
        assertThat(refuses("hp-s0", OTHER)).as("the job refuses what put refuses").isTrue();

        String revived = verdict("hp-s0", OTHER, true).json();
        assertThat(VariantSpecs.parseVariant(revived, 16).revive()).isTrue();
        assertThat(refuses("hp-s0", revived)).as("and takes what put writes").isFalse();
        assertThat(verdict("hp-s0", OTHER, false).said()).as("now live")
                .isEqualTo("iris/hp-s0 is live with this spec already: nothing written");
    }

    @Test
    void aVariantALiveSearchDrawsTakesNoOtherSpec() throws Exception {
        write(SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        String drawn = VariantSpecs.drawnSpec("iris", "hp", SEARCH, "hp-s1");

        assertThatThrownBy(() -> verdict("hp-s1", OTHER, false)).hasMessage("iris/hp-s1 is live with another spec, "
                + "which never changes: put this one under another variant name, or retire hp-s1 first");
        assertThat(refuses("hp-s1", OTHER)).isTrue();
        assertThat(verdict("hp-s1", drawn, false).json()).as("its own spec: nothing to write").isNull();
        assertThatThrownBy(() -> verdict("hp", OTHER, false)).as("nor does the search's key")
                .hasMessageContaining("iris/hp is live with another spec");
    }

    /** A spec copied from specs list after a reset says "reset":true: the job never takes it for a retired key. */
    @Test
    void aResetSpecForARetiredKeyIsRefusedWithOrWithoutRevive() throws Exception {
        String live = "{" + SpecsPutTest.MODEL + ",\"batchSize\":4}";
        write(SpecsCommand.record("iris", "fast", live, "cli"));
        String reset = VariantSpecs.resetSpec(live);
        write(SpecsCommand.record("iris", "fast", reset, "cli"));
        write(SpecsCommand.record("iris", "fast", null, "cli"));

        for (boolean revive : new boolean[] {false, true}) {
            assertThatThrownBy(() -> verdict("fast", reset, revive)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("iris/fast is retired, and the spec's field 'reset' is true (a reset record's, as "
                            + "chorus specs list shows one): a reset never revives a retired variant; remove \"reset\" "
                            + "and put the spec with --revive");
        }
        assertThat(refuses("fast", VariantSpecs.revived(reset))).isTrue();
    }

    /**
     * The key's state is its latest change, whichever key wrote it: a variant its search's rung retired comes back
     * live with the search's revival.
     */
    @Test
    void aDrawnVariantRetiredOnItsOwnKeyIsLiveAgainOnceItsSearchIsRevived() throws Exception {
        write(SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        write(SpecsCommand.record("iris", "hp-s1", null, "search"));
        write(SpecsCommand.record("iris", "hp", null, "cli"));
        write(SpecsCommand.record("iris", "hp", VariantSpecs.revived(SEARCH), "cli"));
        String drawn = VariantSpecs.drawnSpec("iris", "hp", VariantSpecs.revived(SEARCH), "hp-s1");

        assertThat(verdict("hp-s1", drawn, false).said()).isEqualTo("iris/hp-s1 is live with this spec already: "
                + "nothing written");
        assertThat(refuses("hp-s1", drawn)).isFalse();
        assertThatThrownBy(() -> verdict("hp-s1", OTHER, false)).hasMessageContaining("is live with another spec");
        assertThat(refuses("hp-s1", OTHER)).isTrue();
    }

    /** A tombstone of a live search's key retires it and its variants, as a RETIRED record does. */
    @Test
    void aTombstoneOfASearchRetiresItsVariants() throws Exception {
        write(SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        tombstone("iris/hp");

        assertThatThrownBy(() -> verdict("hp-s0", OTHER, false)).hasMessage("iris/hp-s0 is retired: add --revive "
                + "to make it live again (from scratch)");
        assertThatThrownBy(() -> verdict("hp", SEARCH, false)).hasMessage("iris/hp is retired (a tombstone): add "
                + "--revive to make it live again (from scratch)");
        assertThat(refuses("hp-s0", OTHER)).isTrue();
    }

    /** A new search that would draw a variant live with another spec is refused, as the job refuses it. */
    @Test
    void aSearchThatDrawsAVariantLiveWithAnotherSpecIsRefused() throws Exception {
        write(SpecsCommand.record("iris", "hp-s0", OTHER, "cli"));

        assertThatThrownBy(() -> verdict("hp", SEARCH, false)).hasMessage("the search draws variant hp-s0 of task "
                + "iris, which is live with another spec (" + OTHER + "): retire it first, or put the search under "
                + "another name");
        assertThat(refuses("hp", SEARCH)).isTrue();
    }

    private SpecsCommand.Verdict verdict(String variant, String json, boolean revive) {
        JudgedSpecs judged = JudgedSpecs.of(control, deadLetters(), TOPIC, List.of());
        return SpecsCommand.verdict("iris", variant, json, VariantSpecs.parseVariant(json, 16), revive,
                judged.states(), judged.tombstoned());
    }

    /** Writes {@code json} for iris/{@code variant} and says whether the job refused it (a dead letter). */
    private boolean refuses(String variant, String json) throws Exception {
        int before = deadLetters().size();
        write(SpecsCommand.record("iris", variant, json, "cli"));
        return deadLetters().size() > before;
    }

    private void write(VariantSpecRecord record) throws Exception {
        send(record.getTask() + "/" + record.getVariant(), codec.encode(record));
    }

    private void tombstone(String key) throws Exception {
        send(key, null);
    }

    private void send(String key, byte[] value) throws Exception {
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        int offset = control.size();
        control.add(new ConsumerRecord<>(TOPIC, 0, offset, k, value));
        job.processElement(new KafkaRecord(TOPIC, 0, offset, 0L, k, value), offset);
    }

    private List<DeadLetter> deadLetters() {
        var side = job.getSideOutput(SpecControl.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(r -> r.getValue()).toList();
    }
}
