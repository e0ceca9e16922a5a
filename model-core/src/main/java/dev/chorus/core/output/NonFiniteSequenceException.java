package dev.chorus.core.output;

/**
 * A token sequence was rolled back because training on it would have made a {@link SkipGram} vector non-finite.
 * Nothing about the model changed: its vectors, token counts, noise table, random state and pair count are as they
 * were before the sequence. The skip-gram's counterpart of {@code dev.chorus.core.model.NonFiniteUpdateException},
 * which this package, below the model package, cannot throw.
 */
public final class NonFiniteSequenceException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NonFiniteSequenceException(String message) {
    super(message);
  }
}
