package dev.chorus.cli;

import dev.chorus.cli.bench.SparseBenchmark;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.schemas.Example;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Debian's package catalogue as named-field examples, the task of {@code bench sparse} ({@link PackageCatalogue}):
 * what {@code chorus produce --package-catalogue} sends and {@code chorus fit --package-catalogue} trains on, in the
 * same order.
 */
final class PackageCatalogueOptions {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @Option(names = "--package-catalogue", description = {"Debian's package catalogue, the task of bench sparse: each "
            + "package as named fields (name, description, depends, maintainer) labeled with its section's index, in "
            + "the order of --seed, as task 'packages' (ids packages-<name>). FILE, if given, is the Packages list "
            + "(plain, gzip or LZ4), else the largest *_Packages* file under --lists-dir."})
    boolean packages;

    @Option(names = "--lists-dir", paramLabel = "DIR",
            description = "With --package-catalogue: where apt keeps its lists (default: /var/lib/apt/lists).")
    Path listsDir = PackageCatalogue.APT_LISTS;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "" + SparseBenchmark.SEED,
            description = "With --package-catalogue: seeds the packages' order (default: ${DEFAULT-VALUE}, bench "
                    + "sparse's).")
    long seed;

    /**
     * With {@code --package-catalogue}: refuses each of {@code others} given, and sets FILE to the default list when
     * absent. Without: refuses {@code --lists-dir} and {@code --seed}. Returns whether the catalogue is read.
     */
    boolean check(DatasetFile data, List<String> others) throws IOException {
        CommandLine.ParseResult parsed = command.commandLine().getParseResult();
        if (!packages) {
            for (String option : List.of("--lists-dir", "--seed")) {
                if (parsed.hasMatchedOption(option)) {
                    throw data.usage(option + " applies only with --package-catalogue");
                }
            }
            return false;
        }
        for (String option : others) {
            if (parsed.hasMatchedOption(option)) {
                throw data.usage(option + " does not apply to --package-catalogue");
            }
        }
        if (data.file == null) {
            data.file = PackageCatalogue.defaultFile(listsDir).orElseThrow(() -> data.usage("--package-catalogue: "
                    + "no *_Packages* file under " + listsDir + " (run apt-get update, or give FILE)"));
        }
        if (!Files.isRegularFile(data.file)) {
            throw data.usage("FILE " + data.file + ": no such file");
        }
        return true;
    }

    /** The catalogue in FILE as examples of {@code task}, in the order of {@code --seed}. */
    List<Example> examples(Path file, String task, long startTime) throws IOException {
        return PackageCatalogue.read(file, PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES).examples(seed, task,
                startTime);
    }
}
