package dev.chorus.cli;

/**
 * Kafka could not be reached (or refused the client) within the check's time limit. The message is the whole
 * story ({@code cannot reach Kafka at localhost:9999 (timed out after 5 s)}), so the command line prints it
 * without the hint to rerun with {@code --verbose}.
 */
final class KafkaUnreachableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
