package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code chorus} launcher script (with {@code deploy/launcher.sh}, which it sources), run by bash in a scratch
 * tree whose {@code mvnw} and {@code java} only record that they ran: it builds when a source is newer than the last
 * build or this version was never built, not again after that build, and one launch at a time.
 */
class LauncherTest {

    private static final Path REPO = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void aBuildThatLeavesTheJarAsItWasIsNotRepeatedOnTheNextRun(@TempDir Path root) throws Exception {
        Path log = scratchTree(root, "0.1.0-SNAPSHOT");
        // Maven leaves an up-to-date jar untouched: a change outside cli's classes (a test, another module) rebuilds
        // the other modules' jars and cli/target/lib, not cli's own jar.
        script(root.resolve("mvnw"), "echo mvnw >> '" + log + "'");
        Files.createDirectories(root.resolve("cli/target/lib"));
        Path jar = Files.writeString(root.resolve("cli/target/chorus-cli-0.1.0-SNAPSHOT.jar"), "jar");
        Path test = Files.createDirectories(root.resolve("cli/src/test/java")).resolve("SomeTest.java");
        Files.writeString(test, "class SomeTest {}");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));

        assertThat(launch(root)).as("first run").contains("chorus: building (sources changed since the last build");
        assertThat(launch(root)).as("second run").doesNotContain("building");
        assertThat(Files.readAllLines(log)).containsExactly("mvnw", "java", "java");
    }

    @Test
    void afterAVersionBumpThePreviousVersionsJarIsNotRun(@TempDir Path root) throws Exception {
        Path log = scratchTree(root, "0.2.0");
        // The previous version's jar, newer than every source: only its version tells that it is not this build.
        Files.createDirectories(root.resolve("cli/target/lib"));
        Files.writeString(root.resolve("cli/target/chorus-cli-0.1.0.jar"), "old jar");
        script(root.resolve("mvnw"), "echo mvnw >> '%s'; echo jar > cli/target/chorus-cli-0.2.0.jar".formatted(log));
        script(root.resolve("jdk/bin/java"), """
                case "$1" in -XshowSettings:properties) echo '    java.specification.version = 17' >&2 ;; \
                *) echo "java $*" >> '%s' ;; esac""".formatted(log));

        assertThat(launch(root)).contains("chorus: building (no build of 0.2.0 yet");
        assertThat(Files.readAllLines(log)).hasSize(2).startsWith("mvnw");
        assertThat(Files.readAllLines(log).get(1)).contains("-cp " + root.resolve("cli/target/chorus-cli-0.2.0.jar") + ":")
                .doesNotContain("chorus-cli-0.1.0.jar");
    }

    @Test
    void twoLaunchesOnAnUnbuiltTreeBuildOnce(@TempDir Path root) throws Exception {
        assumeThat(Stream.of(System.getenv("PATH").split(":")).anyMatch(d -> Files.isExecutable(Path.of(d, "flock"))))
                .as("flock (util-linux) on PATH").isTrue();
        Path log = scratchTree(root, "0.1.0-SNAPSHOT");
        // Slow enough that the second launch finds the first one building.
        script(root.resolve("mvnw"), """
                echo mvnw >> '%s'; sleep 2; mkdir -p cli/target/lib; echo jar > cli/target/chorus-cli-0.1.0-SNAPSHOT.jar"""
                .formatted(log));

        Process first = start(root);
        Process second = start(root);
        String firstErr = finish(first);
        String secondErr = finish(second);

        assertThat(Files.readAllLines(log)).containsExactlyInAnyOrder("mvnw", "java", "java");
        assertThat(List.of(firstErr, secondErr)).filteredOn(err -> err.contains("building")).hasSize(1);
    }

    /**
     * {@code bench learn} and {@code bench crowd} keep OpenBLAS's own thread count wherever the options that {@code
     * chorus} and {@code chorus bench} take stand; every other command runs with one thread.
     */
    @Test
    void benchLearnAndCrowdAreFoundPastTheOptionsAroundThem(@TempDir Path root) throws Exception {
        Path log = scratchTree(root, "0.1.0-SNAPSHOT");
        script(root.resolve("jdk/bin/java"), """
                case "$1" in -XshowSettings:properties) echo '    java.specification.version = 17' >&2 ;; \
                *) echo "${OPENBLAS_NUM_THREADS:-unset}" >> '%s' ;; esac""".formatted(log));
        built(root, "0.1.0-SNAPSHOT");
        Map<List<String>, String> threads = new LinkedHashMap<>();
        threads.put(List.of("bench", "learn"), "unset");
        threads.put(List.of("--verbose", "bench", "learn"), "unset");
        threads.put(List.of("--config", "chorus.properties", "bench", "learn"), "unset");
        threads.put(List.of("--config=chorus.properties", "bench", "crowd"), "unset");
        threads.put(List.of("bench", "--verbose", "--config", "chorus.properties", "crowd"), "unset");
        threads.put(List.of("bench", "e2e"), "1");
        threads.put(List.of("--config", "bench", "learn"), "1"); // a configuration file named bench
        threads.put(List.of("--verbose", "train", "bench", "learn"), "1");

        for (List<String> args : threads.keySet()) {
            finish(start(root, Map.of(), args.toArray(String[]::new)));
        }

        assertThat(Files.readAllLines(log)).containsExactlyElementsOf(threads.values());
    }

    /**
     * The build dates the CLI jar without GNU's {@code date +%N} (macOS's date prints the letter N): the next run finds
     * it current.
     */
    @Test
    void aBuildDatesTheJarWithoutGnuDate(@TempDir Path root) throws Exception {
        Path log = scratchTree(root, "0.1.0-SNAPSHOT");
        script(root.resolve("mvnw"), """
                echo mvnw >> '%s'; mkdir -p cli/target/lib; echo jar > cli/target/chorus-cli-0.1.0-SNAPSHOT.jar"""
                .formatted(log));
        String date = Stream.of(System.getenv("PATH").split(":")).map(d -> Path.of(d, "date"))
                .filter(Files::isExecutable).findFirst().orElseThrow().toString();
        script(root.resolve("bsd/date"), "exec '" + date + "' \"${@//\\%N/N}\"");
        Map<String, String> bsd = Map.of("PATH", root.resolve("bsd") + ":" + System.getenv("PATH"));

        assertThat(finish(start(root, bsd, "--version"))).as("first run").contains("chorus: building");
        assertThat(finish(start(root, bsd, "--version"))).as("second run").doesNotContain("building");
        assertThat(Files.readAllLines(log)).containsExactly("mvnw", "java", "java");
        try (Stream<Path> target = Files.list(root.resolve("target"))) {
            assertThat(target.map(f -> f.getFileName().toString())).as("what the build left in target/")
                    .containsExactly("build.lock");
        }
    }

    /** A build of {@code version} newer than every source. */
    private static void built(Path root, String version) throws IOException {
        Files.setLastModifiedTime(root.resolve("pom.xml"), FileTime.from(Instant.now().minusSeconds(3600)));
        Files.createDirectories(root.resolve("cli/target/lib"));
        Files.writeString(root.resolve("cli/target/chorus-cli-" + version + ".jar"), "jar");
    }

    /** The launcher, the script it sources and a pom of {@code version} in {@code root}, a java that records runs. */
    private static Path scratchTree(Path root, String version) throws IOException {
        Path log = root.resolve("calls.log");
        Files.copy(REPO.resolve("chorus"), root.resolve("chorus"), StandardCopyOption.COPY_ATTRIBUTES);
        Files.createDirectories(root.resolve("deploy"));
        Files.copy(REPO.resolve("deploy/launcher.sh"), root.resolve("deploy/launcher.sh"));
        script(root.resolve("jdk/bin/java"), """
                case "$1" in -XshowSettings:properties) echo '    java.specification.version = 17' >&2 ;; \
                *) echo java >> '%s' ;; esac""".formatted(log));
        Files.writeString(root.resolve("pom.xml"), """
                <project>
                  <artifactId>chorus-parent</artifactId>
                  <version>%s</version>
                  <properties>
                    <some.version>9.9</some.version>
                  </properties>
                </project>
                """.formatted(version));
        for (String module : List.of("schemas", "model-core", "embedded", "jobs", "cli")) {
            Files.createDirectories(root.resolve(module));
        }
        return log;
    }

    private static void script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }

    /** Runs {@code ./chorus --version} in {@code root}; what it printed on stderr. */
    private static String launch(Path root) throws Exception {
        return finish(start(root));
    }

    private static Process start(Path root) throws IOException {
        return start(root, Map.of(), "--version");
    }

    /** Starts {@code ./chorus args} in {@code root} with {@code environment} on top of this one's, unset OpenBLAS. */
    private static Process start(Path root, Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("chorus").toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().remove("OPENBLAS_NUM_THREADS");
        pb.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        pb.environment().put("CHORUS_LOG_DIR", root.resolve("logs").toString());
        pb.environment().putAll(environment);
        return pb.start();
    }

    /** Waits for a launch to succeed; what it printed on stderr. */
    private static String finish(Process p) throws Exception {
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return err;
    }
}
