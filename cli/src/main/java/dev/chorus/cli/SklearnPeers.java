package dev.chorus.cli;

import dev.chorus.cli.bench.LearnBenchmark;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --no-peers}, shared by the bench subcommands that run scikit-learn beside Chorus, and the peer script. */
final class SklearnPeers {

    @Option(names = "--no-peers", description = "Skip scikit-learn even when it is installed.")
    boolean noPeers;

    /** {@code cli/src/main/python/<name>}, unless {@code --no-peers} was given or the script is not there. */
    Path script(String name) {
        return noPeers ? null : find(name);
    }

    /** {@code cli/src/main/python/<name>} beside the build this command runs from, if it is there. */
    private static Path find(String name) {
        try {
            Path jar = Path.of(LearnBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path dir = jar.getParent(); dir != null; dir = dir.getParent()) {
                Path script = dir.resolve("cli/src/main/python/" + name);
                if (Files.isRegularFile(script)) {
                    return script;
                }
            }
        } catch (URISyntaxException | SecurityException e) {
            return null;
        }
        return null;
    }
}
