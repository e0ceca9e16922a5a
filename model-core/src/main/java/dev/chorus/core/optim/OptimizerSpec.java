package dev.chorus.core.optim;

/** The immutable hyperparameters of an optimizer, from which fresh optimizers are built. */
public sealed interface OptimizerSpec permits SgdSpec, MomentumSpec, AdaGradSpec, RmsPropSpec, AdamSpec {

  /** The name used in model specs, e.g. {@code "adam"}. */
  String type();

  double learningRate();

  /** A fresh optimizer with no state. */
  Optimizer create();
}
