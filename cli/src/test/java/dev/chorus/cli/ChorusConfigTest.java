package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The configuration file: where it is found, what it sets, what flags override, and what is never printed. */
class ChorusConfigTest {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"chorus\" password=\"pw-s3cret-jaas\";";

    @TempDir
    Path dir;

    private Path config(String text) throws IOException {
        return Files.writeString(dir.resolve("chorus.properties"), text);
    }

    private static TailCommand parseTail(ChorusConfig config, String... args) {
        CommandLine cli = ChorusCli.commandLine(config);
        cli.parseArgs(args);
        return cli.getSubcommands().get("tail").getCommand();
    }

    @Test
    void aValueFromTheFileIsUsedAndAFlagOverridesIt() throws IOException {
        Path file = config("bootstrap-servers=broker:9093\nlimit=7\n");

        TailCommand fromFile = parseTail(CliRun.noConfig(), "--config", file.toString(), "tail", "t");
        assertThat(fromFile.kafka.bootstrapServers).isEqualTo("broker:9093");
        assertThat(fromFile.limit).isEqualTo(7);

        TailCommand overridden = parseTail(CliRun.noConfig(), "tail", "t", "--limit", "3", "--config", file.toString());
        assertThat(overridden.limit).as("a flag wins, wherever --config stands").isEqualTo(3);
        assertThat(overridden.kafka.bootstrapServers).isEqualTo("broker:9093");

        assertThat(CliRun.run("--config", file.toString(), "tail", "--help").out())
                .as("help shows the file's values as the defaults").contains("(default: broker:9093)");
    }

    @Test
    void theFileIsFoundByFlagThenEnvironmentThenWorkingDirectoryThenHome() throws IOException {
        Path home = Files.createDirectories(dir.resolve("home"));
        Path work = Files.createDirectories(dir.resolve("work"));
        Files.createDirectories(home.resolve(".chorus"));
        Files.writeString(home.resolve(".chorus").resolve("chorus.properties"), "limit=1\n");
        Map<String, String> noEnvironment = Map.of();

        assertThat(parseTail(new ChorusConfig(noEnvironment::get, work, home), "tail", "t").limit).isEqualTo(1);
        Files.writeString(work.resolve("chorus.properties"), "limit=2\n");
        assertThat(parseTail(new ChorusConfig(noEnvironment::get, work, home), "tail", "t").limit).isEqualTo(2);
        Path named = Files.writeString(dir.resolve("env.properties"), "limit=3\n");
        Map<String, String> environment = Map.of("CHORUS_CONFIG", named.toString());
        assertThat(parseTail(new ChorusConfig(environment::get, work, home), "tail", "t").limit).isEqualTo(3);
        Path flagged = Files.writeString(dir.resolve("flag.properties"), "limit=4\n");
        assertThat(parseTail(new ChorusConfig(environment::get, work, home), "tail", "t", "--config",
                flagged.toString()).limit).isEqualTo(4);
    }

    @Test
    void aMissingNamedFileOrAnUnknownKeyIsAUsageError() throws IOException {
        CliRun missing = CliRun.run("--config", dir.resolve("nope.properties").toString(), "tail", "t");
        assertThat(missing.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(missing.err()).contains("config file", "nope.properties", "does not exist").hasLineCount(1);

        Path typo = config("bootstrap-server=broker:9092\n");
        CliRun unknown = CliRun.run("--config", typo.toString(), "tail", "t");
        assertThat(unknown.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(unknown.err()).contains("unknown key 'bootstrap-server'").hasLineCount(1);
    }

    /** A spec the train command accepts: it checks its settings before it reaches for Kafka. */
    private static final String SPEC =
            "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"batchSize\":4}";

    @Test
    void kafkaSettingsReachTheClientsOfTheCommandsAndOfTheJobs() throws IOException {
        Path file = config("kafka.security.protocol=BOGUS\nkafka.client.id=from-file\n");

        for (String[] args : new String[][] {{"tail", "t"}, {"models"}, {"train", "--spec", SPEC}}) {
            CliRun run = CliRun.run(CliRun.noConfig(), prepend(args, "--config", file.toString()));
            assertThat(run.exitCode()).as(args[0]).isEqualTo(1);
            assertThat(run.err()).as("the admin client got the setting and rejected it")
                    .contains("cannot reach Kafka", "BOGUS", "security.protocol");
        }

        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        CliRun run = CliRun.run(cli, "--config", file.toString(), "train", "--spec", SPEC, "-X", "client.id=flag",
                "--bootstrap-servers", CliRun.unreachableBroker());
        assertThat(run.exitCode()).isEqualTo(1);
        Map<String, String> jobSettings = cli.getSubcommands().get("train").getCommandSpec()
                .findOption("--kafka-property").getValue();
        assertThat(jobSettings).as("the train job's -X settings: file first, flags win")
                .containsEntry("security.protocol", "BOGUS").containsEntry("client.id", "flag");
    }

    @Test
    void secretsNeverAppearInHelpErrorsOrStackTraces() throws IOException {
        Path file = config("kafka.security.protocol=SASL_PLAINTEXT\nkafka.sasl.mechanism=PLAIN\n"
                + "kafka.sasl.jaas.config=" + JAAS.replace("\"", "\\\"") + "\n"
                + "kafka.ssl.key.password=pw-s3cret-key\n");
        String broker = CliRun.unreachableBroker();

        StringBuilder printed = new StringBuilder();
        for (String command : ChorusCli.commandLine(CliRun.noConfig()).getSubcommands().keySet()) {
            CliRun help = CliRun.run("--config", file.toString(), command, "--help");
            printed.append(help.out()).append(help.err());
        }
        for (String verbose : new String[] {"--verbose", "--no-progress"}) {
            CliRun run = CliRun.run("--config", file.toString(), "tail", "t", "--bootstrap-servers", broker,
                    "--kafka-check-timeout-ms", "1", verbose.equals("--verbose") ? verbose : "--json");
            printed.append(run.out()).append(run.err());
        }
        // A JAAS value Kafka cannot parse, given as a flag: its parser quotes it back in the error.
        CliRun badJaas = CliRun.run("tail", "t", "--bootstrap-servers", broker, "-X", "security.protocol=SASL_PLAINTEXT",
                "-X", "sasl.jaas.config=NotALoginModule password=\"pw-s3cret-flag\" oops");
        assertThat(badJaas.exitCode()).isEqualTo(1);
        printed.append(badJaas.out()).append(badJaas.err());
        CliRun badFlag = CliRun.run("tail", "t", "-X", "ssl.key.password=pw-s3cret-usage", "--limit", "x");
        assertThat(badFlag.exitCode()).isEqualTo(CommandLine.ExitCode.USAGE);
        printed.append(badFlag.out()).append(badFlag.err());

        // The user name is no secret: masking it would also mask "chorus" (the user) in "chorus tail:".
        assertThat(printed.toString()).doesNotContain("s3cret").contains("chorus tail: cannot reach Kafka");
    }

    /**
     * A key sets every option of that name but those that name what a command changes or reads: serve's
     * {@code variant=champion} must not make {@code models reset --task t} tombstone {@code t/champion}, nor
     * {@code inspect --nearest} read a champion model that no models-topic key names.
     */
    @Test
    void aVariantOrTaskLineReachesServeButNotTheKeyOfModelsResetOrInspect() throws IOException {
        Path file = config("variant=champion\ntask=fashion\n");

        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "models", "reset", "--task", "t");
        ModelsCommand.Reset reset = cli.getSubcommands().get("models").getSubcommands().get("reset").getCommand();
        assertThat(reset.task + "/" + reset.variant).isEqualTo("t/default");

        CliRun noTask = CliRun.run("--config", file.toString(), "models", "reset", "--bootstrap-servers",
                CliRun.unreachableBroker());
        assertThat(noTask.exitCode()).as("task=fashion names no key to tombstone").isEqualTo(2);
        assertThat(noTask.err()).contains("Missing required option: '--task=<task>'");

        CommandLine inspectCli = ChorusCli.commandLine(CliRun.noConfig());
        inspectCli.parseArgs("--config", file.toString(), "inspect", "--nearest", "tok", "--task", "t");
        InspectCommand inspect = inspectCli.getSubcommands().get("inspect").getCommand();
        assertThat(inspect.variant).isEqualTo("default");

        CommandLine serveCli = ChorusCli.commandLine(CliRun.noConfig());
        serveCli.parseArgs("--config", file.toString(), "serve");
        assertThat(serveCli.getSubcommands().get("serve").getCommandSpec().findOption("--variant")
                .<String>getValue()).as("serve's option of that name").isEqualTo("champion");
    }

    /**
     * What inspect reads comes from the command line alone: produce's {@code task=fashion} must not make
     * {@code inspect --nearest tok} read fashion's model, nor a {@code partition=} line another partition's record.
     */
    @Test
    void aTaskLineNeverNamesTheModelInspectReads() throws IOException {
        Path file = config("task=fashion\n");

        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "inspect", "--nearest", "tok");
        InspectCommand inspect = cli.getSubcommands().get("inspect").getCommand();
        assertThat(inspect.task).as("task= is produce's and models'").isNull();

        CliRun noTask = CliRun.run("--config", file.toString(), "inspect", "--nearest", "tok", "--bootstrap-servers",
                CliRun.unreachableBroker());
        assertThat(noTask.exitCode()).as("no model named").isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(noTask.err()).contains("give it --task (from --models-topic) or --file");

        CommandLine produceCli = ChorusCli.commandLine(CliRun.noConfig());
        produceCli.parseArgs("--config", file.toString(), "produce", "x.csv");
        assertThat(produceCli.getSubcommands().get("produce").getCommandSpec().findOption("--task")
                .<String>getValue()).as("produce's option of that name").isEqualTo("fashion");
    }

    @Test
    void aKeyThatOnlyInspectsSelectorsHaveIsRefusedByName() throws IOException {
        for (String line : new String[] {"partition=3", "offset=7", "topic=t", "nearest=tok", "file=f", "hex=C3"}) {
            CliRun run = CliRun.run("--config", config(line + "\n").toString(), "tail", "t");
            String key = line.substring(0, line.indexOf('='));
            assertThat(run.exitCode()).as(line).isEqualTo(CommandLine.ExitCode.USAGE);
            assertThat(run.err()).as(line).contains("key '" + key + "'", "command line alone").hasLineCount(1);
        }
    }

    /**
     * Which records a read-only command shows comes from the command line alone: produce's {@code task=fashion} must
     * not make {@code models}, {@code leaderboard} or {@code specs list} show fashion alone without a word.
     */
    @Test
    void aTaskLineNeverFiltersWhatModelsLeaderboardOrSpecsListShow() throws IOException {
        Path file = config("task=fashion\n");

        CommandLine cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "models");
        assertThat(cli.getSubcommands().get("models").<ModelsCommand>getCommand().task).as("models").isNull();

        cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "leaderboard");
        assertThat(cli.getSubcommands().get("leaderboard").<LeaderboardCommand>getCommand().task).as("leaderboard")
                .isNull();

        cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "specs", "list");
        assertThat(cli.getSubcommands().get("specs").getSubcommands().get("list").<SpecsCommand.ListSpecs>getCommand()
                .task).as("specs list").isNull();

        cli = ChorusCli.commandLine(CliRun.noConfig());
        cli.parseArgs("--config", file.toString(), "models", "--task", "t");
        assertThat(cli.getSubcommands().get("models").<ModelsCommand>getCommand().task).as("the flag").isEqualTo("t");
    }

    /** Where {@code specs put} starts a variant from comes from the command line alone; no other command has it. */
    @Test
    void aKeyThatOnlySpecsPutsWarmStartHasIsRefusedByName() throws IOException {
        for (String line : new String[] {"fork-from=default", "warm-start-file=model.bin"}) {
            CliRun run = CliRun.run("--config", config(line + "\n").toString(), "specs", "put", "t", "v", "{}");
            String key = line.substring(0, line.indexOf('='));
            assertThat(run.exitCode()).as(line).isEqualTo(CommandLine.ExitCode.USAGE);
            assertThat(run.err()).as(line).contains("key '" + key + "'", "command line alone").hasLineCount(1);
        }
    }

    @Test
    void theExampleFileListsEveryKey() throws IOException {
        String example;
        try (InputStream in = ChorusConfigTest.class.getResourceAsStream("/chorus.example.properties")) {
            assertThat(in).as("chorus.example.properties on the classpath").isNotNull();
            example = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Set<String> keys = ChorusConfig.optionKeys(ChorusCli.commandLine(CliRun.noConfig()).getCommandSpec());
        for (String key : keys) {
            assertThat(example).as(key).containsPattern("(?m)^#?" + key.replace(".", "\\.") + "=");
        }
        // Nor does it list a key the file may not set (a flag-only option's, or a list's): it would be refused.
        Matcher listed = Pattern.compile("(?m)^#?([a-z][a-z0-9.-]*)=").matcher(example);
        List<String> refused = new ArrayList<>();
        while (listed.find()) {
            String key = listed.group(1);
            if (!key.startsWith(ChorusConfig.KAFKA_PREFIX) && !keys.contains(key)) {
                refused.add(key);
            }
        }
        assertThat(refused).as("keys the example lists but a file may not set").isEmpty();
        assertThat(CliRun.run("--config", writeExample(example).toString(), "tail", "--help").exitCode())
                .as("the example as shipped is a valid configuration").isZero();
    }

    private Path writeExample(String text) throws IOException {
        return Files.writeString(dir.resolve("example.properties"), text);
    }

    private static String[] prepend(String[] args, String... first) {
        String[] all = new String[first.length + args.length];
        System.arraycopy(first, 0, all, 0, first.length);
        System.arraycopy(args, 0, all, first.length, args.length);
        return all;
    }
}
