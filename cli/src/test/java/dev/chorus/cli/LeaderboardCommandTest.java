package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.DrawnVariant;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** How the leaderboard's table shows a hyperparameter's value, and where it finds each variant's spec. */
class LeaderboardCommandTest {

    @Test
    void aRecordThatIsNoChampionIsReportedSafeForATerminal() {
        StringWriter err = new StringWriter();
        LeaderboardCommand.Champions champions = new LeaderboardCommand.Champions(null, new PrintWriter(err, true),
                "chorus leaderboard");

        // The decoder quotes the input JSON-escaped: C0 controls as escapes, a C1 control or a bidi override raw.
        boolean shown = champions.accept(record(0, "t", "[\"\u001b]0;x\u0007\u202e\u009b\"]"
                .getBytes(StandardCharsets.UTF_8)));

        assertThat(shown).isFalse();
        assertThat(err.toString()).startsWith("chorus leaderboard: skipped a record that is no Champion: ")
                .doesNotContain("\u001b", "\u0007", "\u202e", "\u009b").contains("\\u202E\\u009B");
    }

    /**
     * A champions topic holds every record of a task until compaction runs; reading it one record at a time keeps the
     * newest of each key (the task), and a tombstone deletes its key's.
     */
    @Test
    void everyRecordOfATaskBeforeCompactionLeavesOneHeldAndATombstoneDeletesIt() {
        var codec = WireFormat.AVRO.codec(Champion.class);
        LeaderboardCommand.Champions champions = new LeaderboardCommand.Champions(null,
                new PrintWriter(new StringWriter(), true), "chorus leaderboard");
        List<ConsumerRecord<byte[], byte[]>> topic = new ArrayList<>();
        for (long updated = 0; updated < 1000; updated++) {
            for (String task : List.of("a", "b")) {
                Champion c = champion("default");
                c.setTask(task);
                c.setUpdatedAt(updated);
                topic.add(record(topic.size(), task, codec.encode(c)));
            }
        }
        topic.add(record(topic.size(), "a", null));
        topic.add(record(topic.size(), "gone", null));

        int mostHeld = 0;
        for (ConsumerRecord<byte[], byte[]> r : topic.subList(0, 2000)) {
            assertThat(champions.accept(r)).isTrue();
            mostHeld = Math.max(mostHeld, champions.byTask.size());
        }
        assertThat(mostHeld).as("one record per task of 2000").isEqualTo(2);
        assertThat(champions.byTask.values()).extracting(Champion::getTask, Champion::getUpdatedAt)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 999L),
                        org.assertj.core.groups.Tuple.tuple("b", 999L));

        assertThat(champions.accept(topic.get(2000))).as("a shown task's tombstone changes the board").isTrue();
        assertThat(champions.accept(topic.get(2001))).as("one of a task not shown does not").isFalse();
        assertThat(champions.byTask).containsOnlyKeys("b");
    }

    private static ConsumerRecord<byte[], byte[]> record(long offset, String key, byte[] value) {
        return new ConsumerRecord<>("chorus.champions", 0, offset, key.getBytes(StandardCharsets.UTF_8), value);
    }

    @Test
    void aDrawnRateShowsFourSignificantDigitsAndEverythingElseAsTheSpecHasIt() {
        assertThat(LeaderboardCommand.shown("0.001970534265309546")).isEqualTo("0.001971");
        assertThat(LeaderboardCommand.shown("1.2003318080269806E-4")).isEqualTo("0.00012");
        assertThat(LeaderboardCommand.shown("1.0E-5")).isEqualTo("0.00001");
        assertThat(LeaderboardCommand.shown("0.01")).isEqualTo("0.01");
        assertThat(LeaderboardCommand.shown("2.5")).isEqualTo("2.5");
        assertThat(LeaderboardCommand.shown("256")).isEqualTo("256");
        assertThat(LeaderboardCommand.shown("relu")).isEqualTo("relu");
        assertThat(LeaderboardCommand.shown("he.normal")).isEqualTo("he.normal");
        assertThat(LeaderboardCommand.shown("Exponential")).isEqualTo("Exponential");
    }

    static final String SEARCH = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"seed\":7,"
            + "\"search\":{\"method\":\"successive-halving\",\"variants\":4,\"budgetExamples\":300,"
            + "\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.001,0.5]}}}}";

    /**
     * A variant its search retired shows the spec the search draws for it, and the models topic is read only for a
     * variant the control topic has no spec for (here one retired by hand).
     */
    @Test
    void aRetiredSearchVariantShowsItsDrawAndOnlyAVariantWithoutASpecReadsTheModelsTopic() throws Exception {
        VariantSpecRecord retired = SpecsCommand.record("t", "hp-s1", null, "search");
        retired.setStatus(VariantStatus.RETIRED);
        VariantSpecRecord byHand = SpecsCommand.record("t", "old", null, "cli");
        byHand.setStatus(VariantStatus.RETIRED);
        Map<String, VariantSpecRecord> control = Map.of("t/hp", SpecsCommand.record("t", "hp", SEARCH, "cli"),
                "t/hp-s1", retired, "t/old", byHand);
        AtomicInteger modelsRead = new AtomicInteger();
        BoardSources.Specs specs = new BoardSources.Specs(control, () -> {
            modelsRead.incrementAndGet();
            return Map.of("t/old", "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
                    + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.5}}");
        });
        double[] drawn = VariantSpec.parse(SEARCH, 16).variants().stream().map(DrawnVariant::spec)
                .mapToDouble(v -> v.optimizer().learningRate()).toArray();

        Map<String, Map<String, String>> searchOnly = LeaderboardCommand.hyperparameters(
                Map.of("t", champion("hp-s0", "hp-s1")), specs);
        assertThat(modelsRead).as("every variant has a spec on the control topic").hasValue(0);
        assertThat(searchOnly.get("t/hp-s1")).containsEntry("optimizer.learningRate", String.valueOf(drawn[1]));
        assertThat(searchOnly.get("t/hp-s0")).containsEntry("optimizer.learningRate", String.valueOf(drawn[0]));

        Map<String, Map<String, String>> withOld = LeaderboardCommand.hyperparameters(
                Map.of("t", champion("hp-s0", "hp-s1", "old")), specs);
        assertThat(modelsRead).hasValue(1);
        assertThat(withOld.get("t/old")).containsEntry("optimizer.learningRate", "0.5");
    }

    /** The table and the search lines under it print a champion record's text without its terminal escapes. */
    @Test
    void theBoardPrintsNoTerminalEscapeOfItsRecords() {
        Champion c = champion("hp-s0\u001B]0;pwned\u0007", "hp-s1");
        c.setSearches(List.of(SearchStanding.newBuilder().setSearch("hp\u001B[2J").setState(SearchState.STOPPED)
                .setRung(0).setRungs(2).setLive(List.of("hp-s1\u202E")).setStoppedReason("why\u009B2J").build()));
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            LeaderboardCommand.printTable(out, Map.of("t", c), Map.of());
        }

        assertThat(text.toString()).doesNotContain("\u001B", "\u0007", "\u009B", "\u202E")
                .contains("t     hp-s0\\u001B]0;pwned\\u0007  champion", "search hp\\u001B[2J of task t: "
                        + "STOPPED at rung 0 of 2 (why\\u009B2J); its variants hp-s1\\u202E train on");
    }

    private static Champion champion(String... variants) {
        return Champion.newBuilder().setTask("t").setVariant(variants[0]).setModelVersion(1L).setSince(1L)
                .setStandings(java.util.Arrays.stream(variants).map(v -> VariantStanding.newBuilder().setVariant(v)
                        .setStatus(v.equals(variants[0]) ? StandingStatus.CHAMPION : StandingStatus.RETIRED)
                        .setLabelledExamples(10L).setLossMean(0.5).setLossStandardError(0.1).setModelVersion(3L)
                        .build()).toList())
                .setUpdatedAt(2L).setGenerations(Map.of()).build();
    }
}
