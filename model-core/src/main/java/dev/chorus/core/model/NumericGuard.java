package dev.chorus.core.model;

import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.tensor.Finite;

/**
 * The numeric guard of every learner's update ({@link OnlineLearner}, the label models' Doctor Net): a minibatch
 * whose update would make a parameter non-finite is rejected with {@link NonFiniteUpdateException} instead of
 * poisoning the model. A non-finite loss or gradient is rejected before the step. A finite gradient can only
 * overflow a parameter or an optimizer's state when it is enormous or the learning rate is: beyond
 * {@link #SAFE_GRADIENT} its square (which the adaptive optimizers and FTRL keep) nears float32's range, and beyond
 * {@link #SAFE_STEP} the learning rate times it (which bounds a step, times a small factor for momentum) does; only
 * then does the learner back up its parameters and optimizer state before the step ({@link #risky(float)}) and check
 * both after it ({@link #nonFiniteParameter}, {@code Optimizer.firstNonFiniteState}): the common path costs one scan
 * of the gradients. The optimizers that add squares up over every step (AdaGrad, FTRL) saturate them at
 * {@code Float.MAX_VALUE}, so that no run of ordinary gradients, however long, overflows them.
 */
public final class NumericGuard {

  /**
   * Above this gradient magnitude a finite step could overflow an optimizer's squared gradients (float32 holds
   * squares up to about (1.8e19)²), so the guard checks the result.
   */
  public static final float SAFE_GRADIENT = 1e18f;

  /**
   * Above this learning rate times gradient magnitude a finite step could overflow a parameter (momentum multiplies
   * it by at most 1 / (1 − μ)), so the guard checks the result.
   */
  public static final double SAFE_STEP = 1e28;

  /** Largest absolute gradient component seen by the last {@link #check}. */
  private float maxAbsGradient;

  /**
   * Null when {@code loss} and every gradient component of {@code sets[0 .. count)} are finite (noting the largest
   * for {@link #risky()}), else what is wrong and where.
   */
  public String check(double loss, ParameterSet[] sets, int count) {
    if (!Double.isFinite(loss)) {
      return "the minibatch loss is " + loss;
    }
    float max = 0;
    for (int s = 0; s < count; s++) {
      ParameterSet parameters = sets[s];
      for (int p = 0; p < parameters.size(); p++) {
        float[] g = parameters.get(p).gradient().data();
        // No early exit, so C2 vectorises the reduction (twice as fast); Math.max keeps a NaN, and |±inf| is inf.
        for (int i = 0; i < g.length; i++) {
          max = Math.max(max, Math.abs(g[i]));
        }
      }
    }
    if (!(max <= Float.MAX_VALUE)) {
      for (int s = 0; s < count; s++) {
        for (int p = 0; p < sets[s].size(); p++) {
          Parameter parameter = sets[s].get(p);
          float[] g = parameter.gradient().data();
          for (int i = 0; i < g.length; i++) {
            if (!Float.isFinite(g[i])) {
              return "the gradient of parameter '" + parameter.name() + "' is " + g[i] + " at index " + i
                  + " (expected a finite value)";
            }
          }
        }
      }
    }
    maxAbsGradient = max;
    return null;
  }

  /**
   * Whether the gradients of the last successful {@link #check}, stepped at {@code learningRate}, are large enough
   * for a step to overflow a parameter or an optimizer's state.
   */
  public boolean risky(float learningRate) {
    return maxAbsGradient > SAFE_GRADIENT || (double) learningRate * maxAbsGradient > SAFE_STEP;
  }

  /** The largest absolute gradient component of the last successful {@link #check}. */
  public float maxAbsGradient() {
    return maxAbsGradient;
  }

  /** Null when every parameter of {@code sets[0 .. count)} is finite, else which one is not. */
  public static String nonFiniteParameter(ParameterSet[] sets, int count) {
    for (int s = 0; s < count; s++) {
      for (int p = 0; p < sets[s].size(); p++) {
        float[] value = sets[s].get(p).value().data();
        for (int i = 0; i < value.length; i++) {
          if (!Float.isFinite(value[i])) {
            return "parameter '" + sets[s].get(p).name() + "' would become " + value[i] + " at index " + i;
          }
        }
      }
    }
    return null;
  }

  /** Null when every value of every parameter of {@code parameters} is finite, else which one is not and where. */
  public static String firstNonFinite(String what, ParameterSet parameters) {
    for (int p = 0; p < parameters.size(); p++) {
      String bad = Finite.firstNonFinite(what + "parameter '" + parameters.get(p).name() + "'",
          parameters.get(p).value().data());
      if (bad != null) {
        return bad;
      }
    }
    return null;
  }

  /**
   * {@link #firstNonFinite(String, ParameterSet)} of {@code network}'s parameters, then its layers' running statistics
   * by the rule their layer reads them with ({@link Network#firstInvalidState}): what training can leave there reads,
   * a batch-norm running variance of +Infinity included, which a minibatch whose squared deviations overflow leaves.
   */
  public static String firstNonFinite(String what, Network network) {
    String bad = firstNonFinite(what, network.parameters());
    if (bad == null) {
      bad = network.firstInvalidState();
      bad = bad == null ? null : what + bad;
    }
    return bad;
  }

  /** Copies of the values of {@code parameters}, for {@link #restore}. */
  public static float[][] values(ParameterSet parameters) {
    float[][] values = new float[parameters.size()][];
    for (int p = 0; p < parameters.size(); p++) {
      values[p] = parameters.get(p).value().data().clone();
    }
    return values;
  }

  /** Puts back what {@link #values} copied. */
  public static void restore(ParameterSet parameters, float[][] values) {
    for (int p = 0; p < parameters.size(); p++) {
      float[] value = parameters.get(p).value().data();
      System.arraycopy(values[p], 0, value, 0, value.length);
    }
  }

  /** The rejection of a minibatch of {@code n} examples that would have been step {@code step}. */
  public static NonFiniteUpdateException rejection(int n, long step, String problem) {
    return new NonFiniteUpdateException("minibatch of " + n + " rejected before step " + step + ": " + problem
        + "; the model keeps its parameters");
  }

  /**
   * The rejection of the first NaN or infinite feature among {@code n} examples of {@code d} features in {@code x},
   * or null if they are all finite.
   */
  public static IllegalArgumentException nonFiniteFeature(String method, float[] x, int n, int d) {
    for (int i = 0, end = n * d; i < end; i++) {
      if (!Float.isFinite(x[i])) {
        return new IllegalArgumentException(method + ": feature " + (i % d) + " of example " + (i / d)
            + " must be finite, got " + x[i]);
      }
    }
    return null;
  }
}
