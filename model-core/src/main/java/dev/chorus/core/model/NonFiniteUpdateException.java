package dev.chorus.core.model;

/**
 * A minibatch was rejected because applying it would have made the model non-finite. Nothing about the learner
 * changed: it keeps its parameters, optimizer state, statistics, random state and counts.
 */
public final class NonFiniteUpdateException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NonFiniteUpdateException(String message) {
    super(message);
  }
}
