package dev.chorus.jobs;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real Kafka broker (KRaft, in-process) for a test class, started before its first test and closed after its
 * last, as Flink's {@code MiniClusterExtension} does for the cluster:
 * {@code @RegisterExtension static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();}.
 */
public final class EmbeddedKafkaExtension implements BeforeAllCallback, AfterAllCallback {
    private EmbeddedKafkaBroker broker;

    @Override
    public void beforeAll(ExtensionContext context) {
        broker = EmbeddedKafkaBroker.builder().build().start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        broker.close();
    }

    /** The running broker. */
    public EmbeddedKafkaBroker broker() {
        return broker;
    }
}
