package dev.chorus.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.metadata.storage.Formatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {

    /** The constant pools of every class of this package, where the classes they call are named. */
    private static String classReferences() throws IOException, URISyntaxException {
        Path dir = Path.of(EmbeddedKafkaBroker.class.getResource("EmbeddedKafkaBroker.class").toURI()).getParent();
        StringBuilder all = new StringBuilder();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                all.append(new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1));
            }
        }
        return all.toString();
    }

    @Test
    void formatsStorageThroughKafkasFormatterNotTheCommandLineTool() throws Exception {
        // The command-line tool needs a properties file on disk (holding the SASL passwords) and reports through
        // a print stream; the Formatter takes the settings directly and reports failures as exceptions.
        String references = classReferences();
        assertThat(references.contains("org/apache/kafka/metadata/storage/Formatter"))
                .as("the embedded package calls org.apache.kafka.metadata.storage.Formatter").isTrue();
        for (String avoided : List.of("kafka/tools/StorageTool", "java/io/ByteArrayOutputStream")) {
            assertThat(references.contains(avoided)).as("the embedded package refers to " + avoided).isFalse();
        }
    }

    /**
     * A bind retry after formatting a directory without {@code meta.properties} removes what the formatter (and the
     * failed start) wrote, and only that: {@code chorus kafka --log-dir} may name a directory with a user's files.
     */
    @Test
    void retryCleanupRemovesTheFormattersOutputAndKeepsWhatWasThereBefore(@TempDir Path logDir) throws Exception {
        Files.writeString(logDir.resolve("notes.txt"), "mine");
        Files.createDirectories(logDir.resolve("keep"));
        Files.writeString(logDir.resolve("keep").resolve("data.csv"), "1,2\n");
        Set<String> before = EmbeddedKafkaBroker.entryNames(logDir);
        assertThat(before).containsExactlyInAnyOrder("notes.txt", "keep");

        new Formatter()
                .setPrintStream(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8))
                .setNodeId(1)
                .setClusterId(Uuid.randomUuid().toString())
                .setControllerListenerName("CONTROLLER")
                .setMetadataLogDirectory(logDir.toString())
                .setDirectories(Set.of(logDir.toString()))
                .run();
        // What a failed start may leave besides: the lock and a segment of the metadata log.
        Files.writeString(logDir.resolve(".lock"), "");
        Files.createDirectories(logDir.resolve("__cluster_metadata-0"));
        Files.writeString(logDir.resolve("__cluster_metadata-0").resolve("00000000000000000000.log"), "x");
        assertThat(logDir.resolve("meta.properties")).exists();
        assertThat(EmbeddedKafkaBroker.entryNames(logDir)).hasSizeGreaterThan(before.size() + 2);

        EmbeddedKafkaBroker.removeEntriesNotIn(logDir, before);

        assertThat(EmbeddedKafkaBroker.entryNames(logDir)).isEqualTo(before);
        assertThat(logDir.resolve("notes.txt")).hasContent("mine");
        assertThat(logDir.resolve("keep").resolve("data.csv")).hasContent("1,2");
    }

    /** In a directory this class created, nothing was there before, so a retry empties it and keeps it. */
    @Test
    void retryCleanupEmptiesADirectoryThatHeldNothingBefore(@TempDir Path logDir) throws IOException {
        Files.writeString(logDir.resolve("meta.properties"), "node.id=1\n");
        Files.createDirectories(logDir.resolve("__cluster_metadata-0"));
        Files.writeString(logDir.resolve("__cluster_metadata-0").resolve("00000000000000000000.log"), "x");
        EmbeddedKafkaBroker.removeEntriesNotIn(logDir, Set.of());
        assertThat(logDir).isEmptyDirectory();
    }
}
