package dev.chorus.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;

/** One in-process run of the {@code chorus} command line, with what it printed. */
record CliRun(int exitCode, String out, String err) {

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
