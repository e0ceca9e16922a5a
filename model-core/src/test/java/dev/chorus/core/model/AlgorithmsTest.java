package dev.chorus.core.model;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.blas.BlasBackend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.MomentumSpec;
import dev.chorus.core.optim.RmsPropSpec;
import dev.chorus.core.optim.SgdSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every algorithm of {@link ModelSpec} through {@link OnlineLearner}: it learns small seeded synthetic data,
 * its state round-trips bit for bit and training then continues identically, and equal seeds and data give
 * bit-identical models (dropout and batch norm included).
 */
class AlgorithmsTest {

  private static final int DIM = 20;
  private static final int ROWS = 3000;
  private static final int BATCH = 32;
  private static final GaussianBlobs BINARY_TRAIN = GaussianBlobs.generate(ROWS, DIM, 2, 1);
  private static final GaussianBlobs BINARY_TEST = GaussianBlobs.generate(1000, DIM, 2, 2);
  private static final GaussianBlobs TRAIN = GaussianBlobs.generate(ROWS, DIM, 3, 1);
  private static final GaussianBlobs TEST = GaussianBlobs.generate(1000, DIM, 3, 2);
  /** Regression targets: a fixed linear function of the blob features plus a sine of one (for the MLP), plus noise. */
  private static final float[] TRAIN_TARGETS = targets(TRAIN, 5);
  private static final float[] TEST_TARGETS = targets(TEST, 6);

  private static final AdamSpec ADAM = AdamSpec.withLearningRate(0.01);
  private static final List<HiddenLayerSpec> HIDDEN = List.of(HiddenLayerSpec.of(16, ActivationFunction.RELU));
  private static final List<HiddenLayerSpec> HIDDEN_WITH_BN_AND_DROPOUT = List.of(
      HiddenLayerSpec.of(16, ActivationFunction.RELU).withBatchNorm().withDropout(0.2),
      HiddenLayerSpec.of(8, ActivationFunction.TANH).withBatchNormAfterActivation().withDropout(0.1));

  private static float[] targets(GaussianBlobs data, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] y = new float[data.rows()];
    for (int i = 0; i < data.rows(); i++) {
      double sum = 3;
      for (int f = 0; f < DIM; f++) {
        sum += 0.1 * (f % 7 - 3) * (data.x()[i * DIM + f] - 10);
      }
      y[i] = (float) (sum + Math.sin(data.x()[i * DIM] - 10) + 0.1 * random.nextGaussian());
    }
    return y;
  }

  static Stream<Named<ModelSpec>> classifiers() {
    return Stream.of(
        Named.of("logistic regression", ModelSpec.logisticRegression(DIM).withOptimizer(ADAM)),
        Named.of("logistic regression, adagrad, elastic net", ModelSpec.logisticRegression(DIM)
            .withOptimizer(new AdaGradSpec(0.1, 1e-8)).withL1(1e-3).withL2(1e-3)),
        Named.of("softmax regression, nesterov, inverse decay", ModelSpec.softmaxRegression(DIM, 3)
            .withOptimizer(new MomentumSpec(0.01, 0.9, true)).withSchedule(new LearningRateSchedule.InverseDecay(0.01))),
        Named.of("binary linear svm, momentum", ModelSpec.linearSvm(DIM, 2).withOptimizer(new MomentumSpec(0.01, 0.9, false))),
        Named.of("multiclass linear svm, rmsprop", ModelSpec.linearSvm(DIM, 3).withOptimizer(new RmsPropSpec(0.01, 0.9, 1e-8))),
        Named.of("mlp", ModelSpec.mlp(DIM, 3, HIDDEN).withOptimizer(ADAM).withClipNorm(5)),
        Named.of("mlp, batch norm and dropout", ModelSpec.mlp(DIM, 3, HIDDEN_WITH_BN_AND_DROPOUT).withOptimizer(ADAM)),
        Named.of("binary mlp, logistic, sgd, step schedule", ModelSpec.mlp(DIM, 2, HIDDEN).withLoss("logistic")
            .withOptimizer(new SgdSpec(0.1)).withSchedule(new LearningRateSchedule.StepHalving(List.of(50L)))),
        Named.of("mlp, multiclass hinge", ModelSpec.mlp(DIM, 3, HIDDEN).withLoss("multiclass-hinge").withOptimizer(ADAM)),
        Named.of("mlp, softmax squared error", ModelSpec.mlp(DIM, 3, HIDDEN).withLoss("softmax-squared-error")
            .withOptimizer(ADAM)));
  }

  static Stream<Named<ModelSpec>> regressors() {
    return Stream.of(
        // Adam moves each weight by at most its learning rate per step, and the intercept here is about 3.
        Named.of("linear regression", ModelSpec.linearRegression(DIM).withOptimizer(AdamSpec.withLearningRate(0.1))),
        // Plain SGD needs standardised inputs here: on the raw features (offset 10, scales 1 to 5) every
        // learning rate that is stable is too slow for one pass, and 0.002 diverges (the numeric guard rejects it).
        Named.of("linear regression, sgd", ModelSpec.linearRegression(DIM).withOptimizer(new SgdSpec(0.05))),
        Named.of("mlp regression, batch norm and dropout", ModelSpec.mlpRegression(DIM, List.of(
            HiddenLayerSpec.of(32, ActivationFunction.TANH).withBatchNorm().withDropout(0.05))).withOptimizer(ADAM)));
  }

  static Stream<Named<ModelSpec>> allSpecs() {
    return Stream.concat(classifiers(), regressors());
  }

  private static GaussianBlobs trainingData(ModelSpec spec) {
    return spec.numClasses() == 2 ? BINARY_TRAIN : TRAIN;
  }

  /** One pass in minibatches over examples {@code [from, to)}; returns the last minibatch's loss. */
  private static double train(OnlineLearner learner, int from, int to) {
    GaussianBlobs data = trainingData(learner.spec());
    double loss = 0;
    for (int start = from; start < to; start += BATCH) {
      int n = Math.min(BATCH, to - start);
      float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + n) * DIM);
      loss = learner.isClassifier()
          ? learner.trainMinibatch(x, Arrays.copyOfRange(data.labels(), start, start + n), null, n)
          : learner.trainMinibatch(x, Arrays.copyOfRange(TRAIN_TARGETS, start, start + n), null, n);
    }
    return loss;
  }

  private static double accuracy(OnlineLearner learner) {
    GaussianBlobs test = learner.numClasses() == 2 ? BINARY_TEST : TEST;
    int correct = 0;
    for (int i = 0; i < test.rows(); i++) {
      if (learner.predict(test.x(), i * DIM) == test.labels()[i]) {
        correct++;
      }
    }
    return (double) correct / test.rows();
  }

  private static double rSquared(OnlineLearner learner) {
    double mean = 0;
    for (float y : TEST_TARGETS) {
      mean += y / TEST_TARGETS.length;
    }
    double residual = 0;
    double total = 0;
    for (int i = 0; i < TEST.rows(); i++) {
      double error = learner.predictValue(TEST.x(), i * DIM) - TEST_TARGETS[i];
      residual += error * error;
      total += (TEST_TARGETS[i] - mean) * (TEST_TARGETS[i] - mean);
    }
    return 1 - residual / total;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("classifiers")
  void classifiersLearnInOnePass(ModelSpec spec) {
    OnlineLearner learner = OnlineLearner.create(spec);
    train(learner, 0, ROWS);
    assertThat(accuracy(learner)).isGreaterThan(0.9);
    assertThat(learner.steps()).isEqualTo((ROWS + BATCH - 1) / BATCH);
    float[] p = new float[learner.outputDim()];
    GaussianBlobs test = learner.numClasses() == 2 ? BINARY_TEST : TEST;
    for (int i = 0; i < 20; i++) {
      learner.predictProba(test.x(), i * DIM, p);
      float sum = 0;
      int argmax = 0;
      for (int j = 0; j < p.length; j++) {
        assertThat(p[j]).isBetween(0f, 1f);
        sum += p[j];
        argmax = p[j] > p[argmax] ? j : argmax;
      }
      assertThat(sum).isCloseTo(1f, within(1e-5f));
      assertThat(learner.predict(test.x(), i * DIM)).isEqualTo(argmax);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("regressors")
  void regressorsFitInOnePass(ModelSpec spec) {
    OnlineLearner learner = OnlineLearner.create(spec);
    assertThat(learner.isClassifier()).isFalse();
    assertThat(learner.outputDim()).isEqualTo(1);
    train(learner, 0, ROWS);
    assertThat(rSquared(learner)).isGreaterThan(0.9);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allSpecs")
  void stateRoundTripIsBitExactAndTrainingContinuesIdentically(ModelSpec spec) {
    OnlineLearner original = OnlineLearner.create(spec);
    train(original, 0, 640);
    byte[] bytes = original.toBytes();
    OnlineLearner restored = OnlineLearner.fromBytes(bytes);
    assertThat(restored.toBytes()).isEqualTo(bytes);
    assertThat(restored.spec()).isEqualTo(spec);
    OnlineLearner copy = original.copy();
    assertThat(copy.toBytes()).isEqualTo(bytes);

    for (int start = 640; start < 960; start += BATCH) {
      assertThat(train(restored, start, start + BATCH)).isEqualTo(train(original, start, start + BATCH));
    }
    assertThat(restored.toBytes()).isEqualTo(original.toBytes());
    assertThat(copy.toBytes()).as("training the original left its copy alone").isEqualTo(bytes);
    GaussianBlobs test = trainingData(spec) == BINARY_TRAIN ? BINARY_TEST : TEST;
    for (int i = 0; i < 50; i++) {
      if (spec.isClassifier()) {
        float[] expected = new float[spec.numClasses()];
        float[] actual = new float[spec.numClasses()];
        original.predictProba(test.x(), i * DIM, expected);
        restored.predictProba(test.x(), i * DIM, actual);
        assertThat(actual).containsExactly(expected);
      } else {
        assertThat(restored.predictValue(test.x(), i * DIM)).isEqualTo(original.predictValue(test.x(), i * DIM));
      }
    }
  }

  @Test
  void sameSeedAndDataGiveBitIdenticalMlpsWithDropoutAndBatchNorm() {
    ModelSpec spec = ModelSpec.mlp(DIM, 3, HIDDEN_WITH_BN_AND_DROPOUT).withOptimizer(ADAM).withSeed(42).withL2(1e-4);
    OnlineLearner a = OnlineLearner.create(spec);
    OnlineLearner b = OnlineLearner.create(spec);
    assertThat(a.toBytes()).isEqualTo(b.toBytes());
    train(a, 0, 1000);
    train(b, 0, 1000);
    assertThat(a.toBytes()).isEqualTo(b.toBytes());
    OnlineLearner otherSeed = OnlineLearner.create(spec.withSeed(43));
    train(otherSeed, 0, 1000);
    assertThat(otherSeed.toBytes()).isNotEqualTo(a.toBytes());
  }

  @Test
  void softTargetsTrainClassifiers() {
    for (ModelSpec spec : List.of(ModelSpec.softmaxRegression(DIM, 3).withOptimizer(ADAM),
        ModelSpec.mlp(DIM, 3, HIDDEN).withOptimizer(ADAM))) {
      OnlineLearner learner = OnlineLearner.create(spec);
      // A posterior that puts 0.7 on the true class and spreads the rest: the argmax is still learnable.
      for (int start = 0; start < ROWS; start += BATCH) {
        int n = Math.min(BATCH, ROWS - start);
        float[] targets = new float[n * 3];
        for (int i = 0; i < n; i++) {
          Arrays.fill(targets, i * 3, i * 3 + 3, 0.15f);
          targets[i * 3 + TRAIN.labels()[start + i]] = 0.7f;
        }
        learner.trainMinibatchSoft(Arrays.copyOfRange(TRAIN.x(), start * DIM, (start + n) * DIM), targets, null, n);
      }
      assertThat(accuracy(learner)).as(spec.algorithm()).isGreaterThan(0.9);
    }
  }

  @Test
  void binarySoftTargetsMatchHardLabelsWhenOneHot() {
    OnlineLearner hard = OnlineLearner.create(ModelSpec.logisticRegression(DIM));
    OnlineLearner soft = OnlineLearner.create(ModelSpec.logisticRegression(DIM));
    float[] oneHot = new float[2 * BATCH];
    for (int i = 0; i < BATCH; i++) {
      oneHot[2 * i + BINARY_TRAIN.labels()[i]] = 1f;
    }
    hard.trainMinibatch(BINARY_TRAIN.x(), BINARY_TRAIN.labels(), null, BATCH);
    soft.trainMinibatchSoft(BINARY_TRAIN.x(), oneHot, null, BATCH);
    assertThat(soft.toBytes()).isEqualTo(hard.toBytes());
  }

  @Test
  void callsThatDoNotFitTheModelFailClearly() {
    OnlineLearner classifier = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, 3));
    OnlineLearner regressor = OnlineLearner.create(ModelSpec.linearRegression(DIM));
    OnlineLearner svm = OnlineLearner.create(ModelSpec.linearSvm(DIM, 3));
    assertThatIllegalStateException().isThrownBy(() -> classifier.predictValue(TEST.x(), 0))
        .withMessage("predictValue: softmax-regression with 3 classes is a classifier; use predictProba or predict");
    assertThatIllegalStateException().isThrownBy(() -> regressor.predictProba(TEST.x(), 0, new float[3]))
        .withMessage("predictProba: linear-regression is a regressor; use predictValue");
    assertThatIllegalStateException().isThrownBy(() -> regressor.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 4))
        .withMessage("trainMinibatch: linear-regression is a regressor; use predictValue");
    assertThatIllegalStateException().isThrownBy(() -> classifier.trainMinibatch(TRAIN.x(), new float[4], null, 4))
        .withMessage("trainMinibatch: softmax-regression with 3 classes is a classifier; train it with int labels or "
            + "trainMinibatchSoft");
    assertThatIllegalStateException().isThrownBy(() -> svm.trainMinibatchSoft(TRAIN.x(), new float[12], null, 4))
        .withMessage("trainMinibatchSoft: loss \"multiclass-hinge\" does not train on soft targets; use "
            + "softmax-cross-entropy, logistic or softmax-squared-error");
    float[] notADistribution = {0.5f, 0.2f, 0.2f};
    assertThatIllegalArgumentException().isThrownBy(() -> classifier.trainMinibatchSoft(TRAIN.x(), notADistribution, null, 1))
        .withMessage("trainMinibatchSoft: target distribution of example 0 must sum to 1, sums to 0.9");
    assertThatIllegalArgumentException().isThrownBy(() -> classifier.trainMinibatchSoft(TRAIN.x(), new float[] {1.5f, -0.5f, 0}, null, 1))
        .withMessage("trainMinibatchSoft: probability of class 0 for example 0 must be in [0, 1], got 1.5");
    assertThatIllegalArgumentException().isThrownBy(() -> regressor.trainMinibatch(TRAIN.x(), new float[] {Float.NaN}, null, 1))
        .withMessage("trainMinibatch: target of example 0 must be finite, got NaN");
  }

  @Test
  void mlpTrainingAndPredictionDoNotAllocateAfterWarmUp() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    // Chorus's own code must not allocate; netlib's Vector API and Java kernels do (temporary vectors and arrays), so
    // only the native backend can show it. CI installs OpenBLAS and sets CHORUS_EXPECT_NATIVE_BLAS, so it runs there.
    if ("true".equals(System.getenv("CHORUS_EXPECT_NATIVE_BLAS"))) {
      assertThat(Blas.isAvailable(BlasBackend.NATIVE)).as("native BLAS (CHORUS_EXPECT_NATIVE_BLAS=true)").isTrue();
    }
    org.junit.jupiter.api.Assumptions.assumeTrue(Blas.isAvailable(BlasBackend.NATIVE),
        "allocation is measured on native BLAS only; it is not installed here: " + Blas.unavailableReason(BlasBackend.NATIVE));
    Blas blas = Blas.forBackend(BlasBackend.NATIVE);
    OnlineLearner classifier = OnlineLearner.create(ModelSpec.mlp(DIM, 3, HIDDEN_WITH_BN_AND_DROPOUT)
        .withL2(1e-4).withL1(1e-5).withClipNorm(1).withSchedule(new LearningRateSchedule.InverseDecay(1e-3)), blas);
    OnlineLearner regressor = OnlineLearner.create(ModelSpec.mlpRegression(DIM, HIDDEN), blas);
    float[] p = new float[3];
    float[] soft = new float[64 * 3];
    Arrays.fill(soft, 1f / 3);
    Runnable work = () -> {
      for (int i = 0; i < 100; i++) {
        classifier.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64);
        classifier.trainMinibatchSoft(TRAIN.x(), soft, null, 64);
        classifier.predictProba(TRAIN.x(), i * DIM, p);
        classifier.predict(TRAIN.x(), i * DIM);
        regressor.trainMinibatch(TRAIN.x(), TRAIN_TARGETS, null, 64);
        regressor.predictValue(TRAIN.x(), i * DIM);
      }
    };
    for (int warmUp = 0; warmUp < 20; warmUp++) {
      work.run();
    }
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    work.run();
    assertThat(threads.getThreadAllocatedBytes(thread) - before).as("bytes allocated").isLessThan(4096);
  }
}
