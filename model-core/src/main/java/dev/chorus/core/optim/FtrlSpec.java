package dev.chorus.core.optim;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * Hyperparameters of {@link Ftrl}: {@code {"type":"ftrl","alpha":0.1,"beta":1,"l1":1,"l2":1}}. The defaults are
 * those of McMahan et al.'s experiments ({@code alpha} tuned per task, {@code beta} 1) with no regularisation.
 * {@code alpha} is the learning rate a schedule scales.
 */
public record FtrlSpec(double alpha, double beta, double l1, double l2) implements OptimizerSpec {

  public static final String TYPE = "ftrl";
  public static final double DEFAULT_ALPHA = 0.1;
  public static final double DEFAULT_BETA = 1.0;

  public FtrlSpec {
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException("ftrl alpha must be finite and > 0, got " + alpha);
    }
    for (double value : new double[] {beta, l1, l2}) {
      if (!(value >= 0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException("ftrl beta, l1 and l2 must be finite and >= 0, got beta=" + beta
            + ", l1=" + l1 + ", l2=" + l2);
      }
    }
  }

  /** Reads {@code {"type":"ftrl","alpha":0.1,"beta":1,"l1":0,"l2":0}}; every key but type defaults. */
  static FtrlSpec fromJson(SpecReader json) {
    json.requireKnownKeys(List.of("type", "alpha", "beta", "l1", "l2"));
    double alpha = json.doubleValue("alpha", DEFAULT_ALPHA);
    double beta = json.doubleValue("beta", DEFAULT_BETA);
    double l1 = json.doubleValue("l1", 0);
    double l2 = json.doubleValue("l2", 0);
    return json.validated(() -> new FtrlSpec(alpha, beta, l1, l2));
  }

  /** Writes {@code type} then {@code alpha}: FTRL's learning rate keeps the paper's name. */
  @Override
  public void writeJson(ObjectNode json) {
    json.put("type", TYPE);
    json.put("alpha", alpha);
    json.put("beta", beta);
    json.put("l1", l1);
    json.put("l2", l2);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public double learningRate() {
    return alpha;
  }

  @Override
  public Ftrl create() {
    return new Ftrl(this);
  }
}
