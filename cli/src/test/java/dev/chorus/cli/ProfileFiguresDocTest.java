package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Profiling figures behind a design choice live in docs/BENCHMARKS.md, where they carry their date and commit; the
 * code's comments keep the reason and point to that section, so a figure is updated in one place.
 */
class ProfileFiguresDocTest {

    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final String SECTION = "Profiles behind design choices";
    static final List<String> MODULES = List.of("schemas", "model-core", "embedded", "jobs", "cli");

    /** A comment line that quotes a profile: a share of a thread or core, or a profiler's name with a figure. */
    static final Pattern PROFILE_FIGURE = Pattern.compile(
            "^\\s*(\\*|//).*(\\d\\s?% of (the|a) [\\w -]*(thread|core)|(async-profiler|JFR)\\b.*\\d)");

    private static List<Path> mainSources() throws IOException {
        List<Path> sources = new ArrayList<>();
        for (String module : MODULES) {
            try (Stream<Path> files = Files.walk(ROOT.resolve(module).resolve("src/main/java"))) {
                files.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
            }
        }
        return sources;
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void noCommentInMainCodeQuotesAProfile() throws IOException {
        List<String> quoting = new ArrayList<>();
        for (Path file : mainSources()) {
            List<String> lines = lines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (PROFILE_FIGURE.matcher(lines.get(i)).find()) {
                    quoting.add(ROOT.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
                }
            }
        }
        assertThat(quoting).as("move these figures to docs/BENCHMARKS.md, \"%s\"", SECTION).isEmpty();
    }

    @Test
    void everyPointerToTheProfilesSectionNamesAClassTheSectionNames() throws IOException {
        String benchmarks = Files.readString(ROOT.resolve("docs/BENCHMARKS.md"));
        assertThat(benchmarks).contains("\n## " + SECTION + "\n");
        String section = benchmarks.substring(benchmarks.indexOf("\n## " + SECTION + "\n") + 1);
        section = section.substring(0, section.indexOf("\n## ") + 1);
        List<String> pointing = mainSources().stream()
                .filter(file -> String.join("\n", lines(file)).replaceAll("\\s*\\n\\s*(\\*|//)?\\s*", " ")
                        .contains(SECTION))
                .map(file -> file.getFileName().toString().replace(".java", ""))
                .toList();
        assertThat(pointing).as("classes whose comments point to the section").isNotEmpty();
        for (String className : pointing) {
            assertThat(section).as("the section names %s, whose comment points to it", className)
                    .contains("`" + className);
        }
    }
}
