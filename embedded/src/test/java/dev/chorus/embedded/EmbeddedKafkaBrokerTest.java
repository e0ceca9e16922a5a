package dev.chorus.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

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
}
