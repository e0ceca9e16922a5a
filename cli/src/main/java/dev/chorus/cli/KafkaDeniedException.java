package dev.chorus.cli;

/**
 * Kafka's authorizer refused the job something. The message is the whole story (the operation, the resource, the
 * principal and the {@code kafka-acls.sh} command that grants it), so the command line prints it without the hint
 * to rerun with {@code --verbose}.
 */
final class KafkaDeniedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    KafkaDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
