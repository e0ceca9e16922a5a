package dev.chorus.jobs.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every metric the jobs register under a literal name is in docs/OPERATIONS.md's Monitor tables, where an operator
 * looks up what a Prometheus series means: a review found four that were not ({@code routed}, {@code liveVariants},
 * {@code warmStartBytes}, {@code consensusRecords}).
 */
class OperationsMetricsDocTest {

    private static final Pattern REGISTERED =
            Pattern.compile("\\.(?:counter|gauge|histogram|meter)\\(\\s*\"([A-Za-z][A-Za-z0-9_.]*)\"");

    @Test
    void everyMetricRegisteredUnderALiteralNameIsDocumented() throws IOException {
        Path sources = Path.of("src/main/java");
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(sources)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = REGISTERED.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        assertThat(names).as("the scan finds the jobs' metrics").contains("minibatchUpdates", "liveVariants",
                "specChanges", "heldForControlTopic");

        String operations = Files.readString(Path.of("../docs/OPERATIONS.md"));
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            // `name`, or as part of a documented series: `task_variant_name`, `field.<field>.name`.
            if (!operations.contains("`" + name + "`") && !operations.contains("_" + name + "`")
                    && !operations.contains("." + name + "`") && !operations.contains("`" + name + ",")) {
                missing.add(name);
            }
        }
        assertThat(missing).as("metrics registered in jobs/src/main but not in docs/OPERATIONS.md").isEmpty();
    }
}
