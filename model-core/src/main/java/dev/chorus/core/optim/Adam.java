package dev.chorus.core.optim;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adam (Kingma and Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, arXiv:1412.6980),
 * Algorithm 1: with gradient {@code g} at step {@code t},
 * <pre>
 *   m ← β₁·m + (1 − β₁)·g        v ← β₂·v + (1 − β₂)·g²
 *   m̂ = m / (1 − β₁ᵗ)            v̂ = v / (1 − β₂ᵗ)
 *   w ← w − η·m̂ / (√v̂ + ε)
 * </pre>
 * State: the step count {@code t}, shared by all parameters, and the moments {@code m}, {@code v} per parameter.
 */
public final class Adam implements Optimizer {

  /** First and second moment estimates of one parameter. */
  private record Moments(float[] first, float[] second) {
    Moments(int size) {
      this(new float[size], new float[size]);
    }

    Moments copy() {
      return new Moments(first.clone(), second.clone());
    }
  }

  private final AdamSpec spec;
  private final float beta1;
  private final float beta2;
  private final float epsilon;
  private final Map<String, Moments> moments = new LinkedHashMap<>();
  private long steps;

  public Adam(AdamSpec spec) {
    this.spec = spec;
    this.beta1 = (float) spec.beta1();
    this.beta2 = (float) spec.beta2();
    this.epsilon = (float) spec.epsilon();
  }

  @Override
  public void step(ParameterSet parameters) {
    long t = steps + 1;
    float firstCorrection = (float) (1 / (1 - Math.pow(beta1, t)));
    float secondCorrection = (float) (1 / (1 - Math.pow(beta2, t)));
    float learningRate = (float) spec.learningRate();
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      Moments state = momentsFor(parameter);
      float[] w = parameter.value().data();
      float[] g = parameter.gradient().data();
      float[] m = state.first();
      float[] v = state.second();
      for (int i = 0; i < w.length; i++) {
        float gi = g[i];
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        float mHat = m[i] * firstCorrection;
        float vHat = v[i] * secondCorrection;
        w[i] -= learningRate * mHat / ((float) Math.sqrt(vHat) + epsilon);
      }
    }
    steps = t;
  }

  private Moments momentsFor(Parameter parameter) {
    Moments state = moments.get(parameter.name());
    if (state == null) {
      state = new Moments(parameter.size());
      moments.put(parameter.name(), state);
    } else if (state.first().length != parameter.size()) {
      throw new IllegalStateException("adam state for parameter '" + parameter.name() + "' has "
          + state.first().length + " elements, the parameter has " + parameter.size());
    }
    return state;
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public AdamSpec spec() {
    return spec;
  }

  @Override
  public Adam copy() {
    Adam copy = new Adam(spec);
    moments.forEach((name, state) -> copy.moments.put(name, state.copy()));
    copy.steps = steps;
    return copy;
  }

  @Override
  public void reset() {
    moments.clear();
    steps = 0;
  }

  @Override
  public void writeState(DataOutput out) throws IOException {
    out.writeLong(steps);
    out.writeInt(moments.size());
    for (Map.Entry<String, Moments> entry : moments.entrySet()) {
      BinaryState.writeString(out, entry.getKey());
      BinaryState.writeFloats(out, entry.getValue().first());
      BinaryState.writeFloats(out, entry.getValue().second());
    }
  }

  @Override
  public void readState(DataInput in, ParameterSet parameters) throws IOException {
    long readSteps = in.readLong();
    if (readSteps < 0) {
      throw new IOException("adam state: step count must be >= 0, stream has " + readSteps);
    }
    int count = in.readInt();
    if (count < 0 || count > parameters.size()) {
      throw new IOException("adam state: expected moments for 0.." + parameters.size() + " parameters, stream has " + count);
    }
    Map<String, Moments> read = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = BinaryState.readString(in, "adam state parameter name");
      if (!parameters.contains(name)) {
        throw new IOException("adam state: moments for unknown parameter '" + name + "'; parameters are " + parameters.names());
      }
      Moments state = new Moments(parameters.get(name).size());
      BinaryState.readFloats(in, state.first(), "adam first moment of '" + name + "'");
      BinaryState.readFloats(in, state.second(), "adam second moment of '" + name + "'");
      read.put(name, state);
    }
    moments.clear();
    moments.putAll(read);
    steps = readSteps;
  }
}
