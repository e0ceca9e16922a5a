package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus specs put} judges a spec as the train job's check-specs does, before it talks to Kafka. */
class SpecsPutTest {
    static final String MODEL = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";

    @Test
    void aSpecWithADriftDetectorPassesTheCheckAndGoesOnToKafka() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("specs", "put", "iris", "watched",
                "{" + MODEL + ",\"drift\":{\"detector\":\"adwin\",\"delta\":0.002}}", "--bootstrap-servers", broker,
                "--kafka-check-timeout-ms", "1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).as("the spec was accepted: only the broker is missing").contains("cannot reach Kafka");
    }

    @Test
    void aSearchIsAcceptedAndABadSpaceRefusedWithTheReasonBeforeKafka() {
        String broker = CliRun.unreachableBroker();
        String search = "{" + MODEL + ",\"search\":{\"method\":\"random\",\"variants\":2,\"budgetExamples\":100,"
                + "\"space\":{\"l2\":[0,0.0001]}}}";
        CliRun run = CliRun.run("specs", "put", "iris", "sh", search, "--bootstrap-servers", broker,
                "--kafka-check-timeout-ms", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).as("the search was accepted: only the broker is missing").contains("cannot reach Kafka");

        CliRun bad = CliRun.run("specs", "put", "iris", "sh", search.replace("l2", "l9"), "--bootstrap-servers", broker);
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("search.space").contains("'l9'").doesNotContain("cannot reach Kafka");
    }

    /** The README's search example (a search whose drift forks from a space) is a spec the job takes. */
    @Test
    void theReadmesSearchExampleIsAccepted() throws Exception {
        String broker = CliRun.unreachableBroker();
        List<String> args = new ArrayList<>(KcatReadmeIT.chorusArguments(
                KcatReadmeIT.block(Files.readString(KcatReadmeIT.README), "specs-search"), broker));
        assertThat(args).startsWith("specs", "put", "iris", "hp");
        args.addAll(List.of("--bootstrap-servers", broker, "--kafka-check-timeout-ms", "1"));
        CliRun run = CliRun.run(args.toArray(String[]::new));
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).as("the spec was accepted: only the broker is missing").contains("cannot reach Kafka");
    }

    /**
     * A key whose own check names it ({@code key 'decay': ...}) is said once, under its whole path: a fork space whose
     * range crosses into invalid values, and an averaging decay out of range.
     */
    @Test
    void aBadForkSpaceOrAveragingIsRefusedWithItsReasonSaidOnceBeforeKafka() {
        String broker = CliRun.unreachableBroker();
        CliRun fork = CliRun.run("specs", "put", "iris", "f", "{" + MODEL + ",\"drift\":{\"detector\":\"adwin\","
                + "\"reaction\":\"fork\",\"forkSpace\":{\"l2\":{\"uniform\":[-0.1,0.1]}}}}",
                "--bootstrap-servers", broker);
        assertThat(fork.exitCode()).as("a usage error, as README says").isEqualTo(2);
        assertThat(fork.err()).isEqualTo("chorus specs put: VariantSpec key 'drift.forkSpace.l2': expected values that "
                + "each make a valid spec, got -0.1, which makes ModelSpec key 'l2': expected a finite number >= 0, got "
                + "-0.1 (see 'chorus specs put --help')\n");

        CliRun averaging = CliRun.run("specs", "put", "iris", "a", "{" + MODEL + ",\"averaging\":{\"decay\":2}}",
                "--bootstrap-servers", broker);
        assertThat(averaging.err()).isEqualTo("chorus specs put: ModelSpec key 'averaging.decay': expected a number in "
                + "(0, 1), got 2.0 (see 'chorus specs put --help')\n");
    }

    @Test
    void aVariantNameLikeAChunkKeyIsRefusedWithTheJobsReasonBeforeKafka() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("specs", "put", "iris", "v#3", "{" + MODEL + "}", "--bootstrap-servers", broker);

        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("field 'variant': expected a name without '#' or '/' (the models topic's keys "
                + "are task/variant and task/variant#chunk), got \"v#3\" ('#' at position 1)")
                .doesNotContain("cannot reach Kafka");
    }

    @Test
    void aSpecThatIsNoJsonOrNoFileIsSaidOnceWithWhereBeforeKafka(@TempDir Path dir) {
        String broker = CliRun.unreachableBroker();
        CliRun cut = CliRun.run("specs", "put", "iris", "bad", "{" + MODEL, "--bootstrap-servers", broker);

        assertThat(cut.err()).isEqualTo("chorus specs put: VariantSpec: not valid JSON: Unexpected end-of-input: "
                + "expected close marker for Object (start marker at line 1, column 1) at line 1, column 62 "
                + "(see 'chorus specs put --help')\n");

        Path missing = dir.resolve("missing.json");
        CliRun file = CliRun.run("specs", "put", "iris", "bad", "@" + missing, "--bootstrap-servers", broker);
        assertThat(file.err()).isEqualTo("chorus specs put: cannot read spec file " + missing + ": no such file "
                + "(see 'chorus specs put --help')\n");
    }

    @Test
    void aModelAboveTheJobsBoundIsRefusedBeforeKafkaAndTheBoundCanBeRaisedAsTheJobsIs() {
        String broker = CliRun.unreachableBroker();
        String wide = "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,\"layers\":[{\"units\":1000000}]}";
        CliRun refused = CliRun.run("specs", "put", "iris", "wide", wide, "--bootstrap-servers", broker);
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).isEqualTo("chorus specs put: expected a model of at most --max-model-parameters="
                + "100,000,000 parameters, got 795,000,010 (mlp: inputDim 784, numClasses 10, hidden layers [1000000]) "
                + "(see 'chorus specs put --help')\n");

        CliRun raised = CliRun.run("specs", "put", "iris", "wide", wide, "--max-model-parameters", "800000000",
                "--bootstrap-servers", broker, "--kafka-check-timeout-ms", "1");
        assertThat(raised.err()).as("accepted: only the broker is missing").contains("cannot reach Kafka");
    }

    /** The job's --max-variants-per-task has its twin here, so a search the job takes is not refused before it. */
    @Test
    void aSearchOfMoreVariantsThanTheDefaultBoundIsTakenWhenTheBoundIsRaisedAsTheJobsIs() {
        String broker = CliRun.unreachableBroker();
        String search = "{" + MODEL + ",\"search\":{\"method\":\"random\",\"variants\":20,\"budgetExamples\":100,"
                + "\"space\":{\"l2\":{\"uniform\":[0,0.001]}}}}";
        CliRun refused = CliRun.run("specs", "put", "iris", "sh", search, "--bootstrap-servers", broker);
        assertThat(refused.exitCode()).isEqualTo(2);
        assertThat(refused.err()).contains("expected an integer from 1 to maxVariantsPerTask 16, got 20");

        CliRun raised = CliRun.run("specs", "put", "iris", "sh", search, "--max-variants-per-task", "64",
                "--bootstrap-servers", broker, "--kafka-check-timeout-ms", "1");
        assertThat(raised.exitCode()).isEqualTo(1);
        assertThat(raised.err()).as("accepted: only the broker is missing").contains("cannot reach Kafka");
    }

    /** --warm-start-optimizer is never dropped: with nothing to apply to, or against the spec's own, it is refused. */
    @Test
    void aWarmStartOptimizerWithoutASourceOrAgainstTheSpecsIsRefused() {
        String broker = CliRun.unreachableBroker();
        CliRun alone = CliRun.run("specs", "put", "iris", "w", "{" + MODEL + "}", "--warm-start-optimizer", "reset",
                "--bootstrap-servers", broker);
        assertThat(alone.exitCode()).isEqualTo(2);
        assertThat(alone.err()).contains("--warm-start-optimizer reset: expected it with --warm-start-file or "
                + "--fork-from, which it applies to; got neither");

        CliRun against = CliRun.run("specs", "put", "iris", "w", "{" + MODEL + ",\"warmStart\":{\"from\":\"variant:a\","
                + "\"optimizer\":\"carry\"}}", "--fork-from", "a", "--warm-start-optimizer", "reset",
                "--bootstrap-servers", broker);
        assertThat(against.exitCode()).isEqualTo(2);
        assertThat(against.err()).contains("the spec's warmStart says optimizer \"carry\", --warm-start-optimizer "
                + "says \"reset\": give one of the two");
    }

    @Test
    void theOptimizerOptionFillsTheSpecsOwnWarmStartOfTheSameSource() {
        assertThat(WarmStartModels.withWarmStart("{\"warmStart\":{\"from\":\"variant:a\"}}", null, "a", "reset"))
                .isEqualTo("{\"warmStart\":{\"from\":\"variant:a\",\"optimizer\":\"reset\"}}");
        assertThat(WarmStartModels.withWarmStart("{}", null, "a", null))
                .isEqualTo("{\"warmStart\":{\"from\":\"variant:a\",\"optimizer\":\"carry\"}}");
    }
}
