package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code chorus} launcher script, run by bash in a scratch tree whose {@code mvnw} and {@code java} only record
 * that they ran: it builds when a source is newer than the last build, and not again after that build.
 */
class LauncherTest {

    private static final Path LAUNCHER = Path.of(System.getProperty("user.dir")).getParent().resolve("chorus");

    @Test
    void aBuildThatLeavesTheJarAsItWasIsNotRepeatedOnTheNextRun(@TempDir Path root) throws Exception {
        Path log = root.resolve("calls.log");
        Files.copy(LAUNCHER, root.resolve("chorus"), StandardCopyOption.COPY_ATTRIBUTES);
        // Maven leaves an up-to-date jar untouched: a change outside cli's classes (a test, another module) rebuilds
        // the other modules' jars and cli/target/lib, not cli's own jar.
        script(root.resolve("mvnw"), "echo mvnw >> '" + log + "'");
        script(root.resolve("jdk/bin/java"), """
                case "$1" in -XshowSettings:properties) echo '    java.specification.version = 17' >&2 ;; \
                *) echo java >> '%s' ;; esac""".formatted(log));
        Files.writeString(root.resolve("pom.xml"), "<project/>");
        for (String module : List.of("schemas", "model-core", "embedded", "jobs")) {
            Files.createDirectories(root.resolve(module));
        }
        Files.createDirectories(root.resolve("cli/target/lib"));
        Path jar = Files.writeString(root.resolve("cli/target/chorus-cli-0.1.0-SNAPSHOT.jar"), "jar");
        Path test = Files.createDirectories(root.resolve("cli/src/test/java")).resolve("SomeTest.java");
        Files.writeString(test, "class SomeTest {}");
        Files.setLastModifiedTime(jar, FileTime.from(Instant.now().minusSeconds(3600)));

        assertThat(launch(root)).as("first run").contains("chorus: building (sources changed since the last build");
        assertThat(launch(root)).as("second run").doesNotContain("building");
        assertThat(Files.readAllLines(log)).containsExactly("mvnw", "java", "java");
    }

    private static void script(Path file, String body) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "#!/usr/bin/env bash\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
    }

    /** Runs {@code ./chorus --version} in {@code root}; what it printed on stderr. */
    private static String launch(Path root) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", root.resolve("chorus").toString(), "--version")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JAVA_HOME", root.resolve("jdk").toString());
        pb.environment().put("CHORUS_LOG_DIR", root.resolve("logs").toString());
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        return err;
    }
}
