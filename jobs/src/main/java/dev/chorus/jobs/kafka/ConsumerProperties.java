package dev.chorus.jobs.kafka;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one way every Chorus consumer (the jobs' Kafka sources, the CLI's and benchmarks' readers) gets its Kafka
 * settings: the user's settings, with {@code isolation.level=read_committed} unless the user set it. Kafka's own
 * default, {@code read_uncommitted}, would let a job train on, or hot-swap in, what a transactional producer
 * aborted.
 */
public final class ConsumerProperties {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerProperties.class);

    static final String READ_COMMITTED = "read_committed";

    private ConsumerProperties() {}

    /**
     * {@code userSettings} (the {@code -X} / {@code kafka.*} settings) plus {@code isolation.level=read_committed};
     * an explicit {@code isolation.level} of the user wins, with a warning when it reads uncommitted records.
     */
    public static Properties readCommitted(Map<String, String> userSettings) {
        Properties props = new Properties();
        props.putAll(userSettings);
        String asked = userSettings.get(ConsumerConfig.ISOLATION_LEVEL_CONFIG);
        if (asked == null) {
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, READ_COMMITTED);
        } else if (!asked.trim().toLowerCase(Locale.ROOT).equals(READ_COMMITTED)) {
            LOG.warn("{}={} set explicitly: this consumer also reads records of aborted and still open Kafka "
                    + "transactions, so a job may train on or serve what a producer rolled back",
                    ConsumerConfig.ISOLATION_LEVEL_CONFIG, asked);
        }
        return props;
    }
}
