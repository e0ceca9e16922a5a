package dev.chorus.core.optim;

/** Hyperparameters of plain {@link Sgd}. */
public record SgdSpec(double learningRate) implements OptimizerSpec {

  public static final String TYPE = "sgd";
  /** Suits standardised features; one prequential pass over Fashion-MNIST does about as well as Adam's default. */
  public static final double DEFAULT_LEARNING_RATE = 0.05;

  public SgdSpec {
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("sgd learningRate must be finite and > 0, got " + learningRate);
    }
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public Sgd create() {
    return new Sgd(this);
  }
}
