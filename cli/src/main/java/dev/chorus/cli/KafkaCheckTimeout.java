package dev.chorus.cli;

import java.time.Duration;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * How long a command waits for Kafka to answer its check before giving up as unreachable ({@link
 * KafkaOptions#requireReachable}, {@link MissingTopics}): the {@code kafka-check-timeout-ms} setting of every
 * command that talks to Kafka. A loaded machine or a distant cluster may need more than the default.
 */
final class KafkaCheckTimeout {
    static final String OPTION = "--kafka-check-timeout-ms";
    static final long DEFAULT_MS = 30_000;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    private Duration timeout = Duration.ofMillis(DEFAULT_MS);

    @Option(names = OPTION, paramLabel = "MS", defaultValue = "" + DEFAULT_MS,
            description = "How long to wait for Kafka to answer before giving up as unreachable, in ms "
                    + "(default: ${DEFAULT-VALUE}); raise it for a loaded machine or a distant cluster.")
    void millis(long millis) {
        if (millis < 1 || millis > Integer.MAX_VALUE) {
            throw new ParameterException(mixee.commandLine(), OPTION + ": expected 1 to " + Integer.MAX_VALUE
                    + " ms, got " + millis);
        }
        timeout = Duration.ofMillis(millis);
    }

    Duration timeout() {
        return timeout;
    }

    /** The one line of a check that gave up: where, how long it waited and the setting that says how long. */
    static String timedOut(String where, Duration timeout) {
        long ms = timeout.toMillis();
        return where + " (timed out after " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms") + "; "
                + OPTION + " sets how long to wait)";
    }
}
