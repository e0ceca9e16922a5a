package dev.chorus.core.loss;

import dev.chorus.core.nn.ParameterSet;

/** A penalty on parameter values added to the data loss; applies to parameters marked {@code regularized}. */
public interface Regularizer {

  /** Adds the penalty's gradient to each regularised parameter's gradient and returns the penalty. */
  double addPenaltyGradient(ParameterSet parameters);
}
