package dev.chorus.cli;

import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/** The {@code chorus} command line. */
@Command(name = "chorus", mixinStandardHelpOptions = true, version = "chorus 0.1.0",
        description = "Streaming machine learning on Apache Flink and Apache Kafka.",
        subcommands = {DemoCommand.class, KafkaCommand.class, ProduceCommand.class, TrainCommand.class,
            ServeCommand.class, TailCommand.class, ModelsCommand.class, LeaderboardCommand.class, SpecsCommand.class,
            FitCommand.class,
            InspectCommand.class, BenchCommand.class, UiCommand.class, CommandLine.HelpCommand.class},
        footer = {"", "Option defaults and Kafka client settings may come from a properties file: --config FILE,",
                "else $CHORUS_CONFIG, else chorus.properties in the working directory, else the one in ~/.chorus.",
                "Keys are long option names without dashes (bootstrap-servers=broker:9092); kafka.KEY=VALUE",
                "lines reach every Kafka client (kafka.security.protocol=SASL_SSL). Flags always win."},
        usageHelpWidth = 110)
public final class ChorusCli {

    private static final String KAFKA_PROPERTY_OPTION = "--kafka-property";

    private final ChorusConfig config;

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    private ChorusCli(ChorusConfig config) {
        this.config = config;
    }

    @Option(names = ChorusConfig.CONFIG_OPTION, paramLabel = "FILE", scope = CommandLine.ScopeType.INHERIT,
            description = "Configuration file (default: $CHORUS_CONFIG, else chorus.properties in the working "
                    + "directory, else in ~/.chorus, if present).")
    void configFile(Path file) {
        config.explicitFile(file);
    }

    public static void main(String[] args) {
        configureLogging();
        System.exit(commandLine().execute(args));
    }

    /**
     * Logs go to {@code chorus.log} in {@code chorus.log.dir} (and errors to the console) unless the user configured
     * log4j2 themselves; called before anything logs.
     */
    static void configureLogging() {
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:chorus-cli-log4j2.properties");
        }
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.apache.logging.log4j.jul.LogManager");
        }
    }

    /** The configured command line, also used by tests, with the configuration file found from the environment. */
    public static CommandLine commandLine() {
        return commandLine(ChorusConfig.fromEnvironment());
    }

    /** The configured command line reading its configuration file through {@code config}. */
    static CommandLine commandLine(ChorusConfig config) {
        CommandLine cli = new CommandLine(new ChorusCli(config));
        config.attach(cli);
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // @file values (--spec, specs put) are read by the commands; picocli's @-files would split a file into words.
        cli.setExpandAtFiles(false);
        // Set after the subcommands exist, so that every one of them takes its defaults from the file.
        cli.setDefaultValueProvider(config);
        cli.setExecutionStrategy(parsed -> execute(parsed, config));
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine() != null ? e.getCommandLine() : cli;
            String name = cmd.getCommandSpec().qualifiedName();
            String message = JACKSON_LOCATION.matcher(e.getMessage()).replaceAll("line $1, column $2");
            if (e instanceof UnmatchedArgumentException unmatched && !unmatched.getSuggestions().isEmpty()) {
                message += "; did you mean " + String.join(" or ", unmatched.getSuggestions()) + "?";
            }
            // One line, safe for a terminal: an argument or a record a message quotes may hold escape sequences.
            cmd.getErr().println(TerminalText.safe(secrets(config, args).redact(
                    name + ": " + message.replace('\n', ' ') + " (see '" + name + " --help')")));
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.matchedOption("--verbose") != null
                    || parsed.subcommands().stream().anyMatch(p -> p.matchedOption("--verbose") != null);
            Secrets secrets = secrets(config, parsed.originalArgs().toArray(String[]::new));
            if (cmd.getCommand() instanceof LocalJobCommand job) {
                secrets.addSettings(kafkaSettingsOrNone(job));
            }
            if (verbose) {
                StringWriter trace = new StringWriter();
                e.printStackTrace(new PrintWriter(trace));
                cmd.getErr().print(secrets.redact(trace.toString()));
            } else {
                // These messages are the whole story; for others the stack trace may tell more.
                String message = e instanceof KafkaUnreachableException || e instanceof KafkaDeniedException
                        || e instanceof RecordDecodingException
                        ? e.getMessage() : oneLine(e) + " (run with --verbose for details)";
                // Safe for a terminal line by line: a record a message quotes may hold escape sequences.
                cmd.getErr().println(secrets.redact(cmd.getCommandSpec().qualifiedName() + ": " + message).lines()
                        .map(TerminalText::safe).collect(java.util.stream.Collectors.joining(System.lineSeparator())));
            }
            cmd.getErr().flush();
            return cmd.getCommandSpec().exitCodeOnExecutionException();
        });
        return cli;
    }

    /**
     * Runs the parsed command once the configuration file is checked, its {@code kafka.*} settings are merged
     * under every {@code -X} map (flags win), and, for the jobs, Kafka answered.
     */
    private static int execute(ParseResult parsed, ChorusConfig config) {
        if (CommandLine.printHelpIfRequested(parsed)) {
            return parsed.commandSpec().exitCodeOnUsageHelp();
        }
        config.validate(parsed.commandSpec());
        Map<String, String> fileSettings = config.kafkaProperties();
        List<CommandLine> commands = parsed.asCommandLineList();
        for (CommandLine cmd : commands) {
            OptionSpec settings = cmd.getCommandSpec().findOption(KAFKA_PROPERTY_OPTION);
            if (settings != null && !fileSettings.isEmpty()) {
                Map<String, String> merged = new LinkedHashMap<>(fileSettings);
                Map<String, String> flags = settings.getValue();
                if (flags != null) {
                    merged.putAll(flags);
                }
                settings.setValue(merged);
            }
        }
        CommandLine last = commands.get(commands.size() - 1);
        if (last.getCommand() instanceof LocalJobCommand job) {
            job.checkSettings();
        }
        // A job run here must reach Kafka from here; with --flink-run the cluster does, so there is nothing to check.
        if (last.getCommand() instanceof LocalJobCommand job && !job.flinkRun && !job.submit) {
            // The jobs' options come from dev.chorus.jobs; picocli's model reaches them without widening their API.
            String bootstrapServers = last.getCommandSpec().findOption("--bootstrap-servers").getValue();
            try {
                Duration timeout = job.checkTimeout.timeout();
                KafkaOptions.requireReachable(bootstrapServers, job.jobOptions().kafkaSettings(), timeout);
                MissingTopics.require(bootstrapServers, job.jobOptions().kafkaSettings(), job.requiredTopics(),
                        timeout);
            } catch (KafkaUnreachableException | IllegalStateException e) {
                throw new CommandLine.ExecutionException(last, e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandLine.ExecutionException(last, "interrupted", e);
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    /** The secrets a message might repeat: those of the configuration file and of the arguments. */
    private static Secrets secrets(ChorusConfig config, String[] args) {
        Secrets secrets = new Secrets().addArguments(args);
        try {
            secrets.addSettings(config.kafkaProperties());
        } catch (ParameterException unreadable) {
            // No file, no secrets from it; the file's own problem is what is being reported.
        }
        return secrets;
    }

    /** The job's Kafka settings from its file, the environment and the flags; none when they cannot be read. */
    private static Map<String, String> kafkaSettingsOrNone(LocalJobCommand job) {
        try {
            return job.jobOptions().kafkaSettings();
        } catch (IllegalArgumentException unreadable) {
            return Map.of();
        }
    }

    /** The deepest message of a failure chain, on one line. */
    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            // A cause whose first line the message already quotes (a file name, a parser's message) adds nothing.
            if (c.getMessage() != null && !message.contains(c.getMessage().lines().findFirst().orElse(""))) {
                message = message + ": " + c.getMessage();
            }
        }
        return JACKSON_LOCATION.matcher(message.replace('\n', ' ')).replaceAll("line $1, column $2");
    }

    /** How Jackson, which keeps a document out of its messages, says where: "[Source: REDACTED (…); line: 1, column: 5]". */
    private static final Pattern JACKSON_LOCATION =
            Pattern.compile("\\[Source: REDACTED \\([^)]*\\); line: (\\d+), column: (\\d+)\\]");
}
