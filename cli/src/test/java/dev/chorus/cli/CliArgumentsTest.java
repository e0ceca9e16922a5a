package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Usage errors, help texts and unreachable brokers: exit codes and the one line the user sees. */
class CliArgumentsTest {

    @ParameterizedTest
    @ValueSource(strings = {"tail", "tail t --bogus", "tail t --limit abc", "tail t --type nonsense",
        "produce --format xml data.csv", "inspect --file a --hex 00", "inspect --offset 3", "no-such-command",
        "kafka --partitions 0"})
    void badArgumentsExitWithTheUsageCodeAndOneLine(String args) {
        CliRun run = CliRun.run(args.split(" "));

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err().lines()).hasSize(1);
        assertThat(run.err()).startsWith("chorus").contains("--help").doesNotContain("\tat ");
        assertThat(run.out()).isEmpty();
    }

    /** Job options that picocli parses but the job's settings refuse: refused before Kafka is asked, or a command printed. */
    @ParameterizedTest
    @ValueSource(strings = {"train --spec {}", "train --spec @target/no-such-spec.json",
        "train --spec {} --flink-run", "serve --format xml", "serve --max-tasks -1 --flink-run",
        "serve --kafka-config target/no-such-kafka.properties"})
    void badJobSettingsExitWithTheUsageCodeAndOneLine(String args) {
        List<String> arguments = new ArrayList<>(List.of(args.split(" ")));
        arguments.addAll(List.of("--bootstrap-servers", CliRun.unreachableBroker()));

        CliRun run = CliRun.run(CliRun.noConfig(), arguments.toArray(String[]::new));

        assertThat(run.exitCode()).as(run.err()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err().lines()).as(run.err()).hasSize(1);
        assertThat(run.err()).startsWith("chorus " + arguments.get(0) + ": ").contains("--help")
                .doesNotContain("\tat ").doesNotContain("cannot reach");
        assertThat(run.out()).as("no flink run command for settings the job refuses").isEmpty();
    }

    @Test
    void aSpecTheJobRefusesIsNamedInTheLine() {
        CliRun run = CliRun.run(CliRun.noConfig(), "train", "--spec", "{}", "--bootstrap-servers",
                CliRun.unreachableBroker());

        assertThat(run.err()).isEqualTo("chorus train: ModelSpec key 'algorithm': expected a string, got nothing "
                + "(key missing) (see 'chorus train --help')\n");
    }

    @Test
    void aMisspeltOptionGetsASuggestion() {
        assertThat(CliRun.run("tail", "t", "--from-nd").err())
                .isEqualTo("chorus tail: Unknown option: '--from-nd'; did you mean --from-end? "
                        + "(see 'chorus tail --help')\n");
    }

    /** An error line quotes what it was given: an escape sequence there is written out, not sent to the terminal. */
    @Test
    void anErrorQuotingAnEscapeSequenceWritesItOut() {
        CliRun run = CliRun.run("tail", "t", "--x\u001B]0;pwned\u0007");
        assertThat(run.err()).doesNotContain("\u001B", "\u0007")
                .startsWith("chorus tail: Unknown option: '--x\\u001B]0;pwned\\u0007'");
    }

    @Test
    void everyHelpTextRendersWithoutPicocliWarnings() {
        PrintStream saved = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        List<String> rendered = new ArrayList<>();
        try {
            renderUsage(ChorusCli.commandLine(CliRun.noConfig()), rendered);
        } finally {
            System.setErr(saved);
        }
        assertThat(rendered).contains("chorus bench e2e", "chorus bench learn");
        // A stray % in a description makes picocli warn and print the description's format string raw.
        assertThat(captured.toString(StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    @Test
    void theCommandListsShowWholeSentences() {
        List<String> cut = new ArrayList<>();
        firstLines(ChorusCli.commandLine(CliRun.noConfig()), cut);
        // A parent's --help lists each subcommand by the first line of its description only.
        assertThat(cut).as("first description lines that do not end a sentence").isEmpty();
    }

    private static void firstLines(CommandLine cli, List<String> cut) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            String[] description = sub.getCommandSpec().usageMessage().description();
            if (description.length > 0 && !description[0].strip().endsWith(".")) {
                cut.add(sub.getCommandSpec().qualifiedName() + ": " + description[0]);
            }
            firstLines(sub, cut);
        }
    }

    @Test
    void benchOptionsTheirBenchmarkRefusesAreUsageErrorsThatSayWhy() {
        for (String[] args : new String[][] {{"bench", "select", "--tracks", "nope"}, {"bench", "e2e", "--lines", "nope"},
                {"bench", "sparse", "--checkpoints", "--checkpoint-backends", "nope"}}) {
            CliRun run = CliRun.run(args);
            assertThat(run.exitCode()).as(String.join(" ", args)).isEqualTo(CommandLine.ExitCode.USAGE);
            assertThat(run.err()).as(String.join(" ", args)).contains("nope");
        }
    }

    @Test
    void demoHelpNamesEveryLabelModel() {
        String help = CliRun.run("demo", "--help").out().replaceAll("\\s+", " ");
        assertThat(LabelModels.NAMES).allSatisfy(name -> assertThat(help).contains(name));
    }

    private static void renderUsage(CommandLine cli, List<String> rendered) {
        cli.getUsageMessage();
        rendered.add(cli.getCommandSpec().qualifiedName());
        cli.getSubcommands().values().forEach(sub -> renderUsage(sub, rendered));
    }

    @Test
    void benchmarksNoteAForcedOpenBlasCoreType() {
        assertThat(BenchCommand.forcedCoreTypeNote(Map.of())).isEmpty();
        assertThat(BenchCommand.forcedCoreTypeNote(Map.of("OPENBLAS_CORETYPE", ""))).isEmpty();
        assertThat(BenchCommand.forcedCoreTypeNote(Map.of("OPENBLAS_CORETYPE", "Haswell")))
                .hasValueSatisfying(note -> assertThat(note).contains("OPENBLAS_CORETYPE=Haswell", "unset it"));
    }

    @Test
    void everyCommandHasHelp() {
        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        assertThat(cli.getSubcommands()).containsKeys("demo", "kafka", "produce", "train", "serve", "tail", "models",
                "inspect");
        for (String command : cli.getSubcommands().keySet()) {
            CliRun run = CliRun.run(command, "--help");
            assertThat(run.exitCode()).as(command).isZero();
            assertThat(run.out()).as(command).contains("Usage: chorus " + command);
        }
        assertThat(CliRun.run("--help").out()).contains("Usage: chorus", "produce", "chorus.properties");
    }

    @Test
    void anUnreachableBrokerFailsWithOneLineNamingTheTimeoutSettingAndExitCodeOne() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("tail", "chorus.predictions", "--bootstrap-servers", broker,
                "--kafka-check-timeout-ms", "1500");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus tail: cannot reach Kafka at " + broker + " (timed out after 1500 ms; "
                + "--kafka-check-timeout-ms sets how long to wait)\n");
    }

    /** A loaded machine or a distant cluster answers in more than a few seconds: every check waits 30 by default. */
    @ParameterizedTest
    @ValueSource(strings = {"tail", "models", "produce", "inspect", "leaderboard", "ui", "train", "serve"})
    void everyCommandThatChecksKafkaWaitsThirtySecondsByDefault(String command) {
        CommandLine.Model.OptionSpec timeout = ChorusCli.commandLine(CliRun.noConfig()).getSubcommands().get(command)
                .getCommandSpec().findOption("--kafka-check-timeout-ms");

        assertThat(timeout).as(command).isNotNull();
        assertThat(timeout.defaultValue()).isEqualTo("30000");
    }

    @Test
    void theConfigFileSetsHowLongTheCheckWaits(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("chorus.properties"), "kafka-check-timeout-ms=1000\n");
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("--config", file.toString(), "serve", "--bootstrap-servers", broker);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus serve: cannot reach Kafka at " + broker + " (timed out after 1 s; "
                + "--kafka-check-timeout-ms sets how long to wait)\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "2147483648"})
    void aCheckTimeoutOutsideOneMillisecondToIntegerMaxIsAUsageError(String millis) {
        CliRun run = CliRun.run("models", "--kafka-check-timeout-ms", millis);

        assertThat(run.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run.err()).contains("--kafka-check-timeout-ms: expected 1 to 2147483647 ms, got " + millis);
    }

    @Test
    void aTrustStoreThatIsNotThereIsSaidToBeMissingNotNamedAlone() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("specs", "list", "--bootstrap-servers", broker, "-X", "security.protocol=SSL",
                "-X", "ssl.truststore.location=target/no-such-truststore.p12");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).startsWith("chorus specs list: cannot reach Kafka at " + broker + ": ")
                .endsWith(": no such file target/no-such-truststore.p12\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"models", "inspect --topic t --offset 0",
        "train --spec {\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4}", "serve"})
    void everyCommandThatTalksToKafkaChecksItFirst(String args) {
        String broker = CliRun.unreachableBroker();
        String[] argv = (args + " --bootstrap-servers " + broker + " --kafka-check-timeout-ms 1000").split(" ");
        CliRun run = CliRun.run(argv);

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus " + argv[0] + ": cannot reach Kafka at " + broker
                + " (timed out after 1 s" + "; --kafka-check-timeout-ms sets how long to wait)\n");
    }

    @Test
    void produceChecksItsFileBeforeKafka(@TempDir Path dir) throws IOException {
        Path csv = Files.writeString(dir.resolve("data.csv"), "1,0.5,0.25\n");
        String broker = CliRun.unreachableBroker();

        assertThat(CliRun.run("produce", dir.resolve("missing.csv").toString(), "--bootstrap-servers", broker)
                .exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        CliRun run = CliRun.run("produce", csv.toString(), "--bootstrap-servers", broker, "--no-progress", "--kafka-check-timeout-ms", "1000");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus produce: cannot reach Kafka at " + broker + " (timed out after 1 s"
                + "; --kafka-check-timeout-ms sets how long to wait)\n");
    }

    @Test
    void producePackagesChecksItsOptionsBeforeKafka(@TempDir Path dir) throws IOException {
        Path csv = Files.writeString(dir.resolve("data.csv"), "1,0.5,0.25\n");
        String broker = CliRun.unreachableBroker();

        CliRun noFile = CliRun.run("produce", "--bootstrap-servers", broker);
        assertThat(noFile.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noFile.err()).contains("Missing required parameter: 'FILE' (or --package-catalogue)");
        CliRun noLists = CliRun.run("produce", "--package-catalogue", "--lists-dir", dir.toString(), "--bootstrap-servers",
                broker);
        assertThat(noLists.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noLists.err()).contains("--package-catalogue: no *_Packages* file under " + dir);
        CliRun header = CliRun.run("produce", "--package-catalogue", csv.toString(), "--header", "--bootstrap-servers", broker);
        assertThat(header.err()).contains("--header does not apply to --package-catalogue");
        CliRun seed = CliRun.run("produce", csv.toString(), "--seed", "3", "--bootstrap-servers", broker);
        assertThat(seed.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(seed.err()).contains("--seed applies only with --package-catalogue");
    }

    @Test
    void stackTracesOnlyWithVerbose() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("tail", "t", "--bootstrap-servers", broker, "--verbose", "--kafka-check-timeout-ms", "1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("KafkaUnreachableException: cannot reach Kafka at " + broker, "\tat ");
    }

    @Test
    void undecodableBytesAreOneLineWithoutAStackTrace() {
        CliRun run = CliRun.run("inspect", "--hex", "C3 01 00 00");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("chorus inspect: truncated Avro single-object header: expected 10 bytes "
                + "(marker C3 01 and an 8-byte schema fingerprint), got 4\n");
    }
}
