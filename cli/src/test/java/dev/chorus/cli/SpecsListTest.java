package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.schemas.SearchStanding;
import dev.chorus.schemas.SearchState;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code chorus specs list}: a row shows the spec, if any, and the reason its record carries, if any. */
class SpecsListTest {

    @Test
    void aSearchRetiredRowShowsItsRungsEvidence() {
        String why = "search hp rung 1 of 2 over 200 examples: mean prequential loss hp-s0 0.500000 (kept), "
                + "hp-s1 0.900000 (retired)";
        VariantSpecRecord retired = VariantSpecRecord.newBuilder().setTask("iris").setVariant("hp-s1")
                .setStatus(VariantStatus.RETIRED).setSpec(null).setUpdatedAt(1_700_000_123_456L).setSource("search")
                .setReason(why).build();

        assertThat(SpecsCommand.ListSpecs.row(retired, null)).isEqualTo(String.format("%-20s %-16s %-8s %-24s %-6s %s",
                "iris", "hp-s1", "RETIRED", "2023-11-14T22:15:23.456Z", "search", "reason: " + why));
    }

    @Test
    void aLiveRowShowsItsSpecAndARetirementWithoutAReasonNothingMore() {
        VariantSpecRecord live = SpecsCommand.record("iris", "fast", "{" + SpecsPutTest.MODEL + "}", "cli");
        VariantSpecRecord retired = SpecsCommand.record("iris", "slow", null, "cli");

        assertThat(SpecsCommand.ListSpecs.row(live, null)).endsWith(" cli    {" + SpecsPutTest.MODEL + "}");
        assertThat(SpecsCommand.ListSpecs.row(retired, null)).endsWith(" cli    ");
    }

    @Test
    void aLiveRowWithAReasonShowsItAfterItsSpec() {
        String why = "drift reset of iris/fast: adwin detected at example 812";
        VariantSpecRecord reset = SpecsCommand.record("iris", "fast", "{" + SpecsPutTest.MODEL + ",\"revive\":true}",
                "drift");
        reset.setReason(why);

        assertThat(SpecsCommand.ListSpecs.row(reset, null))
                .endsWith(" drift  {" + SpecsPutTest.MODEL + ",\"revive\":true} reason: " + why);
    }

    @Test
    void aSearchsRowShowsWhereTheSearchStandsAfterItsSpec() {
        String spec = "{" + SpecsPutTest.MODEL + ",\"search\":{\"method\":\"successive-halving\",\"variants\":2,"
                + "\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}";
        VariantSpecRecord search = SpecsCommand.record("iris", "hp", spec, "cli");
        SearchStanding running = SearchStanding.newBuilder().setSearch("hp").setState(SearchState.RUNNING).setRung(0)
                .setRungs(1).setLive(List.of("hp-s0", "hp-s1")).build();

        assertThat(SpecsCommand.ListSpecs.row(search, RecordLines.searchState(running)))
                .endsWith(" cli    " + spec + " search: rung 0 of 1, live hp-s0 hp-s1");
        assertThat(SpecsCommand.ListSpecs.row(search, null)).endsWith(" cli    " + spec);
    }

    @Test
    void listsHelpDoesNotSayItWritesAFormatSinceItReadsEither() {
        String help = CliRun.run("specs", "list", "--help").out().replaceAll("\\s+", " ");

        assertThat(help).doesNotContain("Wire format to write").contains("--format=avro|json Wire format of the "
                + "records put, retire and reset write (default: avro); list reads either.");
    }

    /** A spec or reason on the control topic holding an escape sequence is listed with it written out, not sent. */
    @Test
    void controlCharactersOfARecordAreWrittenOutNotSent() {
        VariantSpecRecord hostile = SpecsCommand.record("iris", "v", "{\"x\":\"\u001B]0;pwned\u0007\"}", "kcat");
        hostile.setReason("\u202Eevil");
        String row = SpecsCommand.ListSpecs.row(hostile, null);
        assertThat(row).doesNotContain("\u001B", "\u0007", "\u202E")
                .contains("\\u001B]0;pwned\\u0007", "reason: \\u202Eevil");
    }
}
