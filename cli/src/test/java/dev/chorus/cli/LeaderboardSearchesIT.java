package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.codec.WireFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code chorus leaderboard}, {@code chorus specs list} and {@code chorus tail} of the champions topic against a real
 * broker: where each search stands, running, finished or stopped.
 */
class LeaderboardSearchesIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    private static final String STOPPED = "variant hp-s2 was retired outside the search at rung 1";
    private static final String RUNG_0 = "search hp rung 0 of 3 over 4 examples: mean prequential loss hp-s0 0.2 "
            + "(kept), hp-s2 0.3 (kept), hp-s1 0.5 (retired), hp-s3 0.9 (retired)";

    @Test
    void showsEachSearchsRungOrThatItFinishedOrWhyItStoppedAndWhatToDo() throws Exception {
        String bootstrap = KAFKA.broker().bootstrapServers();
        KAFKA.broker().createTopics(List.of(ChorusTopic.MODELS.newTopic("lbs.models", 1),
                ChorusTopic.CHAMPIONS.newTopic("lbs.champions", 1)));
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            producer.sendRaw("lbs.champions", "t", WireFormat.AVRO.codec(Champion.class).encode(champion()));
            producer.flush();
        }

        CliRun run = CliRun.run("leaderboard", "--json", "--bootstrap-servers", bootstrap, "--models-topic",
                "lbs.models", "--champions-topic", "lbs.champions");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode searches = new ObjectMapper().readTree(run.out()).get(0).get("searches");
        assertThat(searches).hasSize(3);
        assertThat(searches.get(0).toString()).isEqualTo("{\"search\":\"hp\",\"state\":\"stopped\",\"rung\":1,"
                + "\"rungs\":3,\"live\":[\"hp-s0\",\"hp-s2\"],\"stoppedReason\":\"" + STOPPED + "\",\"decisions\":[\""
                + RUNG_0 + "\"]}");
        assertThat(searches.get(1).toString()).isEqualTo("{\"search\":\"lr\",\"state\":\"running\",\"rung\":0,"
                + "\"rungs\":2,\"live\":[\"lr-s0\",\"lr-s1\",\"lr-s2\",\"lr-s3\"],\"stoppedReason\":null,"
                + "\"decisions\":[]}");
        assertThat(searches.get(2).get("state").asText()).isEqualTo("finished");

        CliRun table = CliRun.run("leaderboard", "--bootstrap-servers", bootstrap, "--models-topic", "lbs.models",
                "--champions-topic", "lbs.champions");
        assertThat(table.exitCode()).as(table.err()).isZero();
        assertThat(table.out().lines().skip(3).toList()).containsExactly(
                "search hp of task t: STOPPED at rung 1 of 3 (" + STOPPED + "); its variants hp-s0 hp-s2 train on "
                        + "without rungs. To start it over: chorus specs retire t hp, then chorus specs put it again "
                        + "with --revive",
                "search lr of task t: rung 0 of 2, live lr-s0 lr-s1 lr-s2 lr-s3",
                "search wd of task t: finished after 2 rungs, live wd-s1");
    }

    @Test
    void specsListShowsASearchsStateFromTheLatestChampionRecordAndTailShowsEachRecordsSearches() throws Exception {
        String bootstrap = KAFKA.broker().bootstrapServers();
        KAFKA.broker().createTopics(List.of(ChorusTopic.SPECS.newTopic("sls.specs", 1),
                ChorusTopic.CHAMPIONS.newTopic("sls.champions", 1)));
        String search = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4,"
                + "\"search\":{\"method\":\"successive-halving\",\"variants\":4,\"budgetExamples\":300,"
                + "\"space\":{\"l2\":[0,0.0001]}}}";
        String plain = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4}";
        Champion older = champion();
        older.setSearches(List.of(search("lr", SearchState.RUNNING, 0, 2, List.of("lr-s0", "lr-s1", "lr-s2",
                "lr-s3"), null)));
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of())) {
            for (String variant : List.of("default", "lr")) {
                producer.sendRaw("sls.specs", "t/" + variant, WireFormat.AVRO.codec(VariantSpecRecord.class)
                        .encode(SpecsCommand.record("t", variant, variant.equals("lr") ? search : plain, "cli")));
            }
            for (String task : List.of("u", "v")) {
                producer.sendRaw("sls.specs", task + "/lr", WireFormat.AVRO.codec(VariantSpecRecord.class)
                        .encode(SpecsCommand.record(task, "lr", search, "cli")));
            }
            producer.sendRaw("sls.champions", "t", WireFormat.AVRO.codec(Champion.class).encode(older));
            producer.sendRaw("sls.champions", "t", WireFormat.AVRO.codec(Champion.class).encode(champion()));
            Champion ofAnOlderJob = champion();
            ofAnOlderJob.setTask("u");
            ofAnOlderJob.setSearches(null);
            producer.sendRaw("sls.champions", "u", WireFormat.AVRO.codec(Champion.class).encode(ofAnOlderJob));
            producer.flush();
        }

        CliRun list = CliRun.run("specs", "list", "--bootstrap-servers", bootstrap, "--specs-topic", "sls.specs",
                "--champions-topic", "sls.champions");
        assertThat(list.exitCode()).as(list.err()).isZero();
        assertThat(list.out().lines().filter(l -> l.startsWith("t ")).toList()).satisfiesExactly(
                row -> assertThat(row).endsWith(" cli    " + plain),
                row -> assertThat(row).endsWith(" cli    " + search
                        + " search: rung 0 of 2, live lr-s0 lr-s1 lr-s2 lr-s3"));
        assertThat(list.out().lines().filter(l -> l.startsWith("u ")).toList()).singleElement().asString()
                .endsWith(" search: state unknown: the task's latest record on sls.champions is of a train job from "
                        + "before champion records carried searches");
        assertThat(list.out().lines().filter(l -> l.startsWith("v ")).toList()).singleElement().asString()
                .endsWith(" search: not on sls.champions yet (the train job has not ranked its variants)");
        CliRun noTopic = CliRun.run("specs", "list", "--task", "t", "--bootstrap-servers", bootstrap, "--specs-topic",
                "sls.specs", "--champions-topic", "sls.nothing");
        assertThat(noTopic.exitCode()).as(noTopic.err()).isZero();
        assertThat(noTopic.out().lines().filter(l -> l.startsWith("t ")).toList()).last().asString()
                .endsWith(" search: state unknown: topic sls.nothing not found (--champions-topic)");

        CliRun tail = CliRun.run("tail", "sls.champions", "--no-follow", "--bootstrap-servers", bootstrap);
        assertThat(tail.exitCode()).as(tail.err()).isZero();
        assertThat(tail.out().lines().filter(l -> l.contains(" champion t: ")).toList()).satisfiesExactly(
                first -> assertThat(first).endsWith(" [search lr: rung 0 of 2, live lr-s0 lr-s1 lr-s2 lr-s3]"),
                second -> assertThat(second).contains(" [search hp: STOPPED at rung 1 of 3 (" + STOPPED + "), live "
                        + "hp-s0 hp-s2] [search lr: ").endsWith(" [search wd: finished after 2 rungs, live wd-s1]"));
    }

    private static Champion champion() {
        return Champion.newBuilder().setTask("t").setVariant("hp-s0").setModelVersion(30L).setSince(1L)
                .setStandings(List.of(standing("hp-s0", StandingStatus.CHAMPION),
                        standing("hp-s2", StandingStatus.CHALLENGER)))
                .setUpdatedAt(2L).setGenerations(Map.of())
                .setSearches(List.of(
                        SearchStanding.newBuilder(search("hp", SearchState.STOPPED, 1, 3, List.of("hp-s0", "hp-s2"),
                                STOPPED)).setDecisions(List.of(RUNG_0)).build(),
                        search("lr", SearchState.RUNNING, 0, 2, List.of("lr-s0", "lr-s1", "lr-s2", "lr-s3"), null),
                        search("wd", SearchState.FINISHED, 2, 2, List.of("wd-s1"), null)))
                .build();
    }

    private static VariantStanding standing(String variant, StandingStatus status) {
        return VariantStanding.newBuilder().setVariant(variant).setStatus(status).setLabelledExamples(10L)
                .setLossMean(0.5).setLossStandardError(0.1).setModelVersion(3L).build();
    }

    private static SearchStanding search(String name, SearchState state, int rung, int rungs, List<String> live,
            String reason) {
        return SearchStanding.newBuilder().setSearch(name).setState(state).setRung(rung).setRungs(rungs)
                .setLive(live).setStoppedReason(reason).build();
    }
}
