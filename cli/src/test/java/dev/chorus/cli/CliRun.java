package dev.chorus.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/** One in-process run of the {@code chorus} command line, with what it printed. */
record CliRun(int exitCode, String out, String err) {

    /**
     * The arguments after the job jar of the {@code flink run} command a {@code --flink-run} run printed, unquoted as
     * a shell would: what the job's main is given.
     */
    String[] jobArguments() {
        String command = out.strip();
        String args = command.substring(command.indexOf("-job.jar ") + "-job.jar ".length());
        List<String> parsed = new ArrayList<>();
        Matcher m = Pattern.compile("'([^']*)'|(\\S+)").matcher(args);
        while (m.find()) {
            parsed.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return parsed.toArray(String[]::new);
    }

    /** Runs {@code args} with no configuration file, whatever the environment holds. */
    static CliRun run(String... args) {
        return run(noConfig(), args);
    }

    static CliRun run(ChorusConfig config, String... args) {
        return run(ChorusCli.commandLine(config), args);
    }

    static CliRun run(CommandLine cli, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new CliRun(exit, out.toString(), err.toString());
    }

    /** A configuration that finds no file: no environment variable, and directories without chorus.properties. */
    static ChorusConfig noConfig() {
        Path nowhere = Path.of("target", "no-chorus-config");
        return new ChorusConfig(Map.<String, String>of()::get, nowhere, nowhere);
    }

    /** {@code 127.0.0.1:<port>} where nothing listens: a broker that cannot be reached. */
    static String unreachableBroker() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return "127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
