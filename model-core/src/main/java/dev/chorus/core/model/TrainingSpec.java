package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.LearningRateSchedules;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.OptimizerSpecs;
import dev.chorus.core.spec.SpecReader;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * How a {@link ModelSpec}'s model is trained, as opposed to what it is. Its keys sit flat beside the model's in the
 * spec's JSON: {@code batchSize}, {@code optimizer} ({@link OptimizerSpecs}), {@code schedule}
 * ({@link LearningRateSchedules}), {@code clipNorm}, {@code l1}, {@code l2}, {@code standardize}, {@code seed}, {@code averaging}
 * ({@link AveragingSpec}, absent unless asked for).
 *
 * @param batchSize examples per minibatch, for callers that assemble minibatches
 * @param optimizer the optimizer's hyperparameters
 * @param schedule the learning rate of each update from the optimizer's base rate
 * @param clipNorm the largest global gradient norm an update may use ({@link dev.chorus.core.optim.GradientClipping});
 *     0 disables clipping
 * @param l1 L1 strength λ₁ in {@code λ₁·Σ|w|} on weights, applied as a proximal step
 *     ({@link dev.chorus.core.loss.L1Penalty}); 0 disables it
 * @param l2 L2 penalty strength λ in {@code (λ/2)·Σ w²} on weights (not biases); 0 disables it
 * @param seed seed of the model's random generator (weight initialisation, then dropout masks)
 * @param standardize whether features are standardised with running statistics before the model
 * @param averaging how the weights the model predicts with are averaged from the trained ones, or {@code null}: it
 *     predicts with the trained ones
 */
public record TrainingSpec(int batchSize, OptimizerSpec optimizer, LearningRateSchedule schedule, double clipNorm,
    double l1, double l2, long seed, boolean standardize, AveragingSpec averaging) {

  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final AdamSpec DEFAULT_OPTIMIZER = AdamSpec.defaults();
  public static final LearningRateSchedule DEFAULT_SCHEDULE = new LearningRateSchedule.Constant();
  public static final double DEFAULT_CLIP_NORM = 0.0;
  public static final double DEFAULT_L1 = 0.0;
  public static final double DEFAULT_L2 = 0.0;
  public static final long DEFAULT_SEED = 0;
  public static final boolean DEFAULT_STANDARDIZE = true;
  /** Every setting at its default. */
  public static final TrainingSpec DEFAULTS = new TrainingSpec(DEFAULT_BATCH_SIZE, DEFAULT_OPTIMIZER,
      DEFAULT_SCHEDULE, DEFAULT_CLIP_NORM, DEFAULT_L1, DEFAULT_L2, DEFAULT_SEED, DEFAULT_STANDARDIZE, null);

  /** @throws IllegalArgumentException naming the spec key, the expectation and the value */
  public TrainingSpec {
    if (batchSize < 1) {
      throw new IllegalArgumentException("ModelSpec key 'batchSize': expected an integer >= 1, got " + batchSize);
    }
    Objects.requireNonNull(optimizer, "optimizer");
    Objects.requireNonNull(schedule, "schedule");
    requireFloatRate("optimizer.learningRate", optimizer.learningRate());
    requireNonNegative("clipNorm", clipNorm);
    requireNonNegative("l1", l1);
    requireNonNegative("l2", l2);
  }

  /**
   * Training runs in float: a rate above {@link Float#MAX_VALUE} would be infinite there (a large-softmax model's
   * table then failed to build with NaN, on the variant's first example).
   */
  static void requireFloatRate(String key, double rate) {
    if (Float.isInfinite((float) rate)) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected at most " + Float.MAX_VALUE
          + " (the largest float: training runs in float), got " + rate);
    }
  }

  /** Without averaging. */
  public TrainingSpec(int batchSize, OptimizerSpec optimizer, LearningRateSchedule schedule, double clipNorm,
      double l1, double l2, long seed, boolean standardize) {
    this(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, null);
  }

  private static void requireNonNegative(String key, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected a finite number >= 0, got " + value);
    }
  }

  /**
   * Reads the training keys of a spec document and checks their types now; the returned supplier checks their
   * ranges. {@link ModelSpec} calls it after checking its own keys, so a document with several errors is reported
   * for the same one as ever.
   */
  static Supplier<TrainingSpec> fromJson(SpecReader json) {
    int batchSize = json.intValue("batchSize", DEFAULT_BATCH_SIZE);
    OptimizerSpec optimizer = json.has("optimizer") ? OptimizerSpecs.fromJson(json.at("optimizer")) : DEFAULT_OPTIMIZER;
    LearningRateSchedule schedule =
        json.has("schedule") ? LearningRateSchedules.fromJson(json.at("schedule")) : DEFAULT_SCHEDULE;
    double clipNorm = json.doubleValue("clipNorm", DEFAULT_CLIP_NORM);
    double l1 = json.doubleValue("l1", DEFAULT_L1);
    double l2 = json.doubleValue("l2", DEFAULT_L2);
    boolean standardize = json.booleanValue("standardize", DEFAULT_STANDARDIZE);
    long seed = json.longValue("seed", DEFAULT_SEED);
    AveragingSpec averaging = json.has("averaging") ? AveragingSpec.fromJson(json.at("averaging")) : null;
    return () -> new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  /** Writes the training keys, defaults included, in their fixed order. */
  void writeJson(ObjectNode json) {
    json.put("batchSize", batchSize);
    optimizer.writeJson(json.putObject("optimizer"));
    schedule.writeJson(json.putObject("schedule"));
    json.put("clipNorm", clipNorm);
    json.put("l1", l1);
    json.put("l2", l2);
    json.put("standardize", standardize);
    json.put("seed", seed);
    if (averaging != null) {
      averaging.writeJson(json.putObject("averaging"));
    }
  }

  public TrainingSpec withBatchSize(int batchSize) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withOptimizer(OptimizerSpec optimizer) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withSchedule(LearningRateSchedule schedule) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withClipNorm(double clipNorm) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withL1(double l1) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withL2(double l2) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withSeed(long seed) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  public TrainingSpec withStandardize(boolean standardize) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }

  /** These settings with {@code averaging}; {@code null}: predict with the trained weights. */
  public TrainingSpec withAveraging(AveragingSpec averaging) {
    return new TrainingSpec(batchSize, optimizer, schedule, clipNorm, l1, l2, seed, standardize, averaging);
  }
}
