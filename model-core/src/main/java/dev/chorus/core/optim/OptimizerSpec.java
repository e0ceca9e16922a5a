package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The immutable hyperparameters of an optimizer, from which fresh optimizers are built. Each record reads
 * ({@code fromJson}) and writes ({@link #writeJson}) its own keys of a spec's {@code "optimizer"} object, and is
 * registered by its type in {@link OptimizerSpecs}.
 */
public sealed interface OptimizerSpec permits SgdSpec, MomentumSpec, AdaGradSpec, RmsPropSpec, AdamSpec,
    FtrlSpec {

  /** The name used in model specs, e.g. {@code "adam"}. */
  String type();

  double learningRate();

  /** Writes {@code type}, {@code learningRate}, then every other hyperparameter, defaults included. */
  void writeJson(ObjectNode json);

  /** A fresh optimizer with no state. */
  Optimizer create();
}
