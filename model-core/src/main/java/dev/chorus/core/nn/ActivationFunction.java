package dev.chorus.core.nn;

/**
 * Elementwise nonlinearities, named as in model specs. Each derivative is written in terms of the
 * function's output, which is what {@link Activation} keeps from the forward pass.
 */
public enum ActivationFunction {

  /** {@code max(0, x)}; its derivative at 0 is taken as 0. */
  RELU("relu"),
  /** {@code tanh(x)}, derivative {@code 1 − y²}. */
  TANH("tanh"),
  /** {@code 1 / (1 + e^−x)}, derivative {@code y·(1 − y)}. */
  SIGMOID("sigmoid"),
  /** {@code x}; a hidden layer with it is purely affine. */
  IDENTITY("identity");

  private final String label;

  ActivationFunction(String label) {
    this.label = label;
  }

  /** The name used in model specs, e.g. {@code "relu"}. */
  public String label() {
    return label;
  }

  /** The function named {@code label}, or {@code null} if none is. */
  public static ActivationFunction byLabel(String label) {
    for (ActivationFunction f : values()) {
      if (f.label.equals(label)) {
        return f;
      }
    }
    return null;
  }
}
