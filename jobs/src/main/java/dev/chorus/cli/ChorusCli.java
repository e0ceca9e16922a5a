package dev.chorus.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code chorus} command line. */
@Command(name = "chorus", mixinStandardHelpOptions = true, version = "chorus 0.1.0",
        description = "Streaming machine learning on Apache Flink and Apache Kafka.",
        subcommands = {DemoCommand.class, TrainCommand.class, ServeCommand.class, BenchCommand.class, CommandLine.HelpCommand.class})
public final class ChorusCli {

    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "Print stack traces of errors.")
    boolean verbose;

    public static void main(String[] args) {
        // Logs go to a file (and warnings to the console) unless the user configured log4j2 themselves.
        if (System.getProperty("log4j2.configurationFile") == null) {
            System.setProperty("log4j2.configurationFile", "classpath:chorus-cli-log4j2.properties");
        }
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.apache.logging.log4j.jul.LogManager");
        }
        System.exit(commandLine().execute(args));
    }

    /** The configured command line, also used by tests. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ChorusCli());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            boolean verbose = parsed.matchedOption("--verbose") != null
                    || parsed.subcommands().stream().anyMatch(p -> p.matchedOption("--verbose") != null);
            if (verbose) {
                e.printStackTrace(cmd.getErr());
            } else {
                cmd.getErr().println("chorus " + cmd.getCommandName() + ": " + oneLine(e)
                        + " (run with --verbose for details)");
            }
            return 1;
        });
        return cli;
    }

    /** The deepest message of a failure chain, on one line. */
    static String oneLine(Throwable e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
            if (c.getMessage() != null) {
                message = message + ": " + c.getMessage();
            }
        }
        return message.replace('\n', ' ');
    }
}
