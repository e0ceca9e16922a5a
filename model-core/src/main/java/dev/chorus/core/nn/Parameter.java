package dev.chorus.core.nn;

import dev.chorus.core.tensor.Matrix;

/**
 * A named trainable tensor with its gradient of the same shape. The name keys the parameter in optimizer
 * state and in saved models, so it must be unique within a network and stable across versions.
 *
 * @param name unique, stable name, e.g. {@code "weights"}
 * @param value the current values
 * @param gradient the gradient of the objective with respect to {@code value}, set by the backward pass
 * @param regularized whether weight penalties (L2) apply; biases conventionally are not penalised
 */
public record Parameter(String name, Matrix value, Matrix gradient, boolean regularized) {

  public Parameter {
    value.requireSameShape(gradient, "parameter '" + name + "' gradient");
  }

  /** A zero-valued parameter of the given shape with a zero gradient. */
  public static Parameter zeros(String name, int rows, int cols, boolean regularized) {
    return new Parameter(name, Matrix.zeros(rows, cols), Matrix.zeros(rows, cols), regularized);
  }

  /** Number of scalar values. */
  public int size() {
    return value.size();
  }

  /** A deep copy of value and gradient. */
  public Parameter copy() {
    return new Parameter(name, value.copy(), gradient.copy(), regularized);
  }
}
