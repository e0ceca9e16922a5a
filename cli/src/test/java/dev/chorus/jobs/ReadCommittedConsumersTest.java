package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.CapturingAppender;
import dev.chorus.jobs.kafka.ConsumerProperties;
import dev.chorus.jobs.kafka.TopicReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

/**
 * Every Chorus consumer reads {@code isolation.level=read_committed} unless the user asked otherwise: the one way to
 * build consumer settings ({@link ConsumerProperties#readCommitted}), the CLI's readers on top of it
 * ({@link TopicReader#committedReader}), and a scan of the main sources that no consumer or Kafka source bypasses it.
 */
class ReadCommittedConsumersTest {

    static final String ISOLATION = ConsumerConfig.ISOLATION_LEVEL_CONFIG;

    @Test
    void readsCommittedAndKeepsTheUsersOtherSettings() {
        Properties props = ConsumerProperties.readCommitted(Map.of("security.protocol", "SSL"));
        assertThat(props).containsEntry(ISOLATION, "read_committed").containsEntry("security.protocol", "SSL")
                .hasSize(2);
    }

    @Test
    void anExplicitReadUncommittedWinsWithAWarning() {
        CapturingAppender logs = CapturingAppender.attach();
        try {
            assertThat(ConsumerProperties.readCommitted(Map.of(ISOLATION, "read_uncommitted")))
                    .containsEntry(ISOLATION, "read_uncommitted");
        } finally {
            logs.detach();
        }
        assertThat(logs.text()).contains(ConsumerProperties.class.getName())
                .contains("isolation.level=read_uncommitted set explicitly")
                .contains("aborted");
    }

    @Test
    void anExplicitReadCommittedIsKeptWithoutAWarning() {
        CapturingAppender logs = CapturingAppender.attach();
        try {
            assertThat(ConsumerProperties.readCommitted(Map.of(ISOLATION, "READ_COMMITTED")))
                    .containsEntry(ISOLATION, "READ_COMMITTED");
        } finally {
            logs.detach();
        }
        assertThat(logs.text()).doesNotContain(ConsumerProperties.class.getName());
    }

    @Test
    void theCliReadersSettingsReadCommittedFromTheBeginningAndHonourAnExplicitOverride() {
        Properties plain = TopicReader.committedReader("broker:9092", Map.of("client.id", "me"));
        assertThat(plain).containsEntry(ISOLATION, "read_committed")
                .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092")
                .containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
                .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false")
                .containsEntry("client.id", "me");
        assertThat(TopicReader.committedReader("broker:9092", Map.of(ISOLATION, "read_uncommitted")))
                .as("-X isolation.level=read_uncommitted").containsEntry(ISOLATION, "read_uncommitted");
    }

    /** Where a consumer is made: {@code new KafkaConsumer<...>(} and the start of its arguments. */
    static final Pattern NEW_CONSUMER = Pattern.compile("new KafkaConsumer<[^>]*>\\(\\s*([^,]*)");
    static final Pattern NEW_SOURCE = Pattern.compile("KafkaSource\\.<[^>]*>builder\\(\\)");

    @Test
    void everyConsumerAndKafkaSourceInMainCodeGetsItsSettingsTheOneWay() throws IOException {
        List<String> consumers = new ArrayList<>();
        List<String> bypassing = new ArrayList<>();
        // Every module that talks to Kafka: the jobs, the command line (with the benchmarks) and the embedded runtime.
        try (Stream<Path> files = Stream.of("../jobs", "../cli", "../embedded")
                .map(module -> Path.of(module, "src/main/java")).flatMap(ReadCommittedConsumersTest::walk)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String code = Files.readString(file);
                Matcher consumer = NEW_CONSUMER.matcher(code);
                while (consumer.find()) {
                    String where = file.getFileName() + ": " + consumer.group(1).trim();
                    consumers.add(where);
                    if (!consumer.group(1).matches("\\s*(TopicReader\\.)?committedReader\\(.*")) {
                        bypassing.add(where);
                    }
                }
                if (NEW_SOURCE.matcher(code).find()) {
                    consumers.add(file.getFileName() + ": KafkaSource");
                    if (!code.contains("ConsumerProperties.readCommitted(")) {
                        bypassing.add(file.getFileName() + ": KafkaSource without ConsumerProperties.readCommitted");
                    }
                }
            }
        }
        // TopicReader, tail, inspect, the benchmarks' readers, and the jobs' sources: the scan finds them all.
        assertThat(consumers).hasSizeGreaterThanOrEqualTo(7)
                .anyMatch(c -> c.startsWith("TailCommand.java"))
                .anyMatch(c -> c.startsWith("InspectCommand.java"))
                .anyMatch(c -> c.startsWith("KafkaIO.java"));
        assertThat(bypassing).as("consumers whose settings do not come from ConsumerProperties.readCommitted").isEmpty();
    }

    @Test
    void theCliReadersWarnWhenToldToReadUncommitted() {
        CapturingAppender logs = CapturingAppender.attach();
        try {
            TopicReader.committedReader("broker:9092", Map.of(ISOLATION, "read_uncommitted"));
        } finally {
            logs.detach();
        }
        assertThat(logs.text()).contains("isolation.level=read_uncommitted set explicitly");
    }

    private static Stream<Path> walk(Path dir) {
        try {
            return Files.walk(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
