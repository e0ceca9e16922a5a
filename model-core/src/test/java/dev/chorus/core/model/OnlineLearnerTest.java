package dev.chorus.core.model;

import dev.chorus.core.testing.GaussianBlobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.SgdSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class OnlineLearnerTest {

  private static final int DIM = 20;
  private static final int CLASSES = 3;
  private static final GaussianBlobs TRAIN = GaussianBlobs.generate(3000, DIM, CLASSES, 1);
  private static final GaussianBlobs TEST = GaussianBlobs.generate(1000, DIM, CLASSES, 2);

  /** Learning rates suit ~100 steps on this data (the default is tuned for longer streams of pixels). */
  static Stream<ModelSpec> specs() {
    ModelSpec base = ModelSpec.softmaxRegression(DIM, CLASSES).withBatchSize(32).withSeed(7)
        .withOptimizer(AdamSpec.withLearningRate(0.01));
    return Stream.of(
        base,
        base.withL2(1e-3),
        base.withOptimizer(new SgdSpec(0.05)),
        base.withStandardize(false));
  }

  /** One pass over the first {@code rows} training examples in minibatches of the spec's size. */
  private static void trainOnePass(OnlineLearner learner, int rows) {
    int batch = learner.spec().batchSize();
    for (int start = 0; start < rows; start += batch) {
      int n = Math.min(batch, rows - start);
      learner.trainMinibatch(Arrays.copyOfRange(TRAIN.x(), start * DIM, (start + n) * DIM),
          Arrays.copyOfRange(TRAIN.labels(), start, start + n), null, n);
    }
  }

  private static double testAccuracy(OnlineLearner learner) {
    int correct = 0;
    for (int i = 0; i < TEST.rows(); i++) {
      if (learner.predict(TEST.x(), i * DIM) == TEST.labels()[i]) {
        correct++;
      }
    }
    return (double) correct / TEST.rows();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void onePassLearnsGaussianBlobs(ModelSpec spec) {
    OnlineLearner learner = OnlineLearner.create(spec);
    trainOnePass(learner, TRAIN.rows());
    assertThat(testAccuracy(learner)).isGreaterThan(0.9);
    assertThat(learner.steps()).isEqualTo((TRAIN.rows() + 31) / 32);
    assertThat(learner.examplesSeen()).isEqualTo(TRAIN.rows());
  }

  @Test
  void trainingLowersTheLoss() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES).withSeed(3)
        .withOptimizer(AdamSpec.withLearningRate(0.01)));
    double first = learner.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64);
    for (int i = 0; i < 20; i++) {
      learner.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64);
    }
    assertThat(learner.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64)).isLessThan(first / 2);
  }

  @Test
  void predictionsAreProbabilitiesAndLeaveStateUnchanged() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES));
    trainOnePass(learner, 500);
    byte[] before = learner.toBytes();
    float[] p = new float[CLASSES];
    for (int i = 0; i < 50; i++) {
      learner.predictProba(TEST.x(), i * DIM, p);
      float sum = 0;
      int argmax = 0;
      for (int j = 0; j < CLASSES; j++) {
        assertThat(p[j]).isBetween(0f, 1f);
        sum += p[j];
        argmax = p[j] > p[argmax] ? j : argmax;
      }
      assertThat(sum).isCloseTo(1f, within(1e-5f));
      assertThat(learner.predict(TEST.x(), i * DIM)).isEqualTo(argmax);
    }
    assertThat(learner.toBytes()).isEqualTo(before);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void stateRoundTripIsBitExactAndTrainingContinuesIdentically(ModelSpec spec) throws IOException {
    OnlineLearner original = OnlineLearner.create(spec);
    trainOnePass(original, 700);
    byte[] bytes = original.toBytes();

    OnlineLearner restored = OnlineLearner.fromBytes(bytes);
    assertThat(restored.toBytes()).isEqualTo(bytes);
    assertThat(restored.spec()).isEqualTo(spec);
    assertThat(restored.steps()).isEqualTo(original.steps());
    assertThat(restored.examplesSeen()).isEqualTo(original.examplesSeen());

    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    original.writeTo(new DataOutputStream(stream));
    assertThat(stream.toByteArray()).isEqualTo(bytes);
    OnlineLearner viaStream = OnlineLearner.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    assertThat(viaStream.toBytes()).isEqualTo(bytes);

    float[] expected = new float[CLASSES];
    float[] actual = new float[CLASSES];
    for (int i = 0; i < 100; i++) {
      original.predictProba(TEST.x(), i * DIM, expected);
      restored.predictProba(TEST.x(), i * DIM, actual);
      assertThat(actual).containsExactly(expected);
    }

    // Everything the optimizer and standardiser carry was saved: further training stays bit-identical.
    int batch = spec.batchSize();
    for (int start = 700; start < 1000; start += batch) {
      float[] x = Arrays.copyOfRange(TRAIN.x(), start * DIM, (start + batch) * DIM);
      int[] y = Arrays.copyOfRange(TRAIN.labels(), start, start + batch);
      assertThat(restored.trainMinibatch(x, y, null, batch)).isEqualTo(original.trainMinibatch(x, y, null, batch));
    }
    assertThat(restored.toBytes()).isEqualTo(original.toBytes());
  }

  @Test
  void sameSeedAndDataGiveBitIdenticalModels() {
    ModelSpec spec = ModelSpec.softmaxRegression(DIM, CLASSES).withSeed(99).withL2(1e-3);
    OnlineLearner a = OnlineLearner.create(spec);
    OnlineLearner b = OnlineLearner.create(spec);
    assertThat(a.toBytes()).isEqualTo(b.toBytes());
    trainOnePass(a, 1000);
    trainOnePass(b, 1000);
    assertThat(a.toBytes()).isEqualTo(b.toBytes());
    assertThat(OnlineLearner.create(spec.withSeed(100)).toBytes()).isNotEqualTo(OnlineLearner.create(spec).toBytes());
  }

  @Test
  void copyIsDeep() {
    OnlineLearner original = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES));
    trainOnePass(original, 300);
    byte[] before = original.toBytes();
    OnlineLearner copy = original.copy();
    assertThat(copy.toBytes()).isEqualTo(before);
    copy.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64);
    assertThat(original.toBytes()).isEqualTo(before);
    assertThat(copy.toBytes()).isNotEqualTo(before);
  }

  @Test
  void unknownFormatVersionNamesFoundAndSupportedVersions() {
    byte[] bytes = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES)).toBytes();
    ByteBuffer.wrap(bytes).putInt(4, 99);
    assertThatThrownBy(() -> OnlineLearner.readFrom(new DataInputStream(new ByteArrayInputStream(bytes))))
        .isInstanceOf(IOException.class)
        .hasMessage("unsupported OnlineLearner state format version 99; this build reads versions [1, 2]");
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(bytes))
        .withMessageContaining("version 99").withCauseInstanceOf(IOException.class);
  }

  @Test
  void corruptStatesAreRejectedWithReasons() {
    byte[] bytes = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES)).toBytes();
    byte[] badMagic = bytes.clone();
    badMagic[0] = 'X';
    assertThatThrownBy(() -> OnlineLearner.readFrom(new DataInputStream(new ByteArrayInputStream(badMagic))))
        .isInstanceOf(IOException.class)
        .hasMessage("not an OnlineLearner state: magic 0x58484F4C, expected 0x43484F4C");
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(Arrays.copyOf(bytes, bytes.length - 3)))
        .withMessage("OnlineLearner state is truncated (" + (bytes.length - 3) + " bytes)");
    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(Arrays.copyOf(bytes, bytes.length + 2)))
        .withMessage("OnlineLearner state: 2 unexpected bytes after the end");
  }

  @Test
  void invalidMinibatchesAreRejectedBeforeAnyStateChanges() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES));
    byte[] before = learner.toBytes();
    float[] x = Arrays.copyOf(TRAIN.x(), 4 * DIM);
    assertThatIllegalArgumentException().isThrownBy(() -> learner.trainMinibatch(x, new int[] {0, 1, 3, 0}, null, 4))
        .withMessage("trainMinibatch: label of example 2 must be in [0, 3), got 3");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> learner.trainMinibatch(x, new int[] {0, 1, 2, 0}, new float[] {1, -1, 1, 1}, 4))
        .withMessage("trainMinibatch: weight of example 1 must be finite and >= 0, got -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> learner.trainMinibatch(x, new int[4], null, 5))
        .withMessage("trainMinibatch: x must hold n × inputDim = 5 × 20 = 100 floats, has 80");
    float[] nan = x.clone();
    nan[2 * DIM + 3] = Float.NaN;
    assertThatIllegalArgumentException().isThrownBy(() -> learner.trainMinibatch(nan, new int[4], null, 4))
        .withMessage("trainMinibatch: feature 3 of example 2 must be finite, got NaN");
    assertThat(learner.toBytes()).isEqualTo(before);
  }

  /** A standardised model notices non-finite features in its standardiser's update, an unstandardised one by a scan. */
  @ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void nonFiniteFeaturesAreRejectedBeforeAnyStateChangesWithOrWithoutStandardisation(boolean standardize) {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES).withStandardize(standardize));
    learner.trainMinibatch(Arrays.copyOf(TRAIN.x(), 4 * DIM), Arrays.copyOf(TRAIN.labels(), 4), null, 4);
    byte[] before = learner.toBytes();
    float[] x = Arrays.copyOfRange(TRAIN.x(), 4 * DIM, 8 * DIM);
    x[3 * DIM + 19] = Float.NEGATIVE_INFINITY;
    x[DIM + 7] = Float.POSITIVE_INFINITY;
    assertThatIllegalArgumentException().isThrownBy(() -> learner.trainMinibatch(x, new int[4], null, 4))
        .withMessage("trainMinibatch: feature 7 of example 1 must be finite, got Infinity");
    float[] soft = new float[4 * CLASSES];
    Arrays.fill(soft, 1f / CLASSES);
    assertThatIllegalArgumentException().isThrownBy(() -> learner.trainMinibatchSoft(x, soft, null, 4))
        .withMessage("trainMinibatchSoft: feature 7 of example 1 must be finite, got Infinity");
    assertThat(learner.toBytes()).isEqualTo(before);
    x[DIM + 7] = Float.MAX_VALUE;
    x[3 * DIM + 19] = -Float.MAX_VALUE;
    if (standardize) {
      learner.trainMinibatch(x, new int[4], null, 4);
      assertThat(learner.steps()).as("huge finite features are accepted").isEqualTo(2);
    } else {
      // Raw, they make gradients of about 1e38, whose squares Adam's second moment cannot hold: the step is refused
      // (before, the moment went infinite and froze those weights for good).
      assertThatThrownBy(() -> learner.trainMinibatch(x, new int[4], null, 4))
          .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("adam second moment of parameter");
      assertThat(learner.toBytes()).as("the model keeps its parameters and state").isEqualTo(before);
    }
  }

  @Test
  void reusableBuffersLongerThanTheBatchAndWeightsWork() {
    OnlineLearner viaBuffer = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES));
    OnlineLearner viaExact = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES));
    float[] weights = new float[64];
    Arrays.fill(weights, 2f);
    viaBuffer.trainMinibatch(TRAIN.x(), TRAIN.labels(), weights, 10);
    viaExact.trainMinibatch(Arrays.copyOf(TRAIN.x(), 10 * DIM), Arrays.copyOf(TRAIN.labels(), 10), null, 10);
    // Uniform weights do not change a weighted mean.
    assertThat(viaBuffer.toBytes()).isEqualTo(viaExact.toBytes());
  }

  @Test
  void trainingAndPredictionDoNotAllocateAfterWarmUp() {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    OnlineLearner learner = OnlineLearner.create(ModelSpec.softmaxRegression(DIM, CLASSES).withL2(1e-4));
    float[] p = new float[CLASSES];
    Runnable work = () -> {
      for (int i = 0; i < 200; i++) {
        learner.trainMinibatch(TRAIN.x(), TRAIN.labels(), null, 64);
        learner.predictProba(TRAIN.x(), i * DIM, p);
        learner.predict(TRAIN.x(), i * DIM);
      }
    };
    for (int warmUp = 0; warmUp < 20; warmUp++) {
      work.run();
    }
    long thread = Thread.currentThread().getId();
    long before = threads.getThreadAllocatedBytes(thread);
    work.run();
    long allocated = threads.getThreadAllocatedBytes(thread) - before;
    // 200 minibatches of 64: a single per-call allocation of the smallest scratch array would exceed this.
    assertThat(allocated).as("bytes allocated by 200 training and prediction rounds").isLessThan(4096);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"softmax", "mlp-bn-dropout", "regression"})
  void batchedPredictionsEqualPerExampleOnesUpToRounding(String kind) {
    ModelSpec spec = switch (kind) {
      case "softmax" -> ModelSpec.softmaxRegression(5, 3);
      case "mlp-bn-dropout" -> ModelSpec.mlp(5, 3, java.util.List.of(
          HiddenLayerSpec.of(300, dev.chorus.core.nn.ActivationFunction.RELU).withBatchNorm().withDropout(0.3)));
      default -> ModelSpec.linearRegression(5);
    };
    OnlineLearner learner = OnlineLearner.create(spec.withSeed(4));
    int n = 40;
    float[] x = new float[n * 5];
    int[] labels = new int[n];
    float[] targets = new float[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) Math.sin(i * 0.7) * 3 + i % 5;
    }
    for (int i = 0; i < n; i++) {
      labels[i] = i % 3;
      targets[i] = x[i * 5] - x[i * 5 + 1];
    }
    if (spec.isClassifier()) {
      learner.trainMinibatch(x, labels, null, n);
    } else {
      learner.trainMinibatch(x, targets, null, n);
    }
    byte[] before = learner.toBytes();
    if (spec.isClassifier()) {
      float[] batch = new float[n * 3];
      learner.predictProbaBatch(x, n, batch);
      float[] one = new float[3];
      for (int r = 0; r < n; r++) {
        learner.predictProba(x, r * 5, one);
        for (int c = 0; c < 3; c++) {
          assertThat(batch[r * 3 + c]).as("row %d class %d", r, c).isCloseTo(one[c], within(1e-5f));
        }
      }
    } else {
      float[] values = new float[n];
      learner.predictValues(x, n, values);
      for (int r = 0; r < n; r++) {
        assertThat(values[r]).isCloseTo(learner.predictValue(x, r * 5), within(1e-4f));
      }
    }
    assertThat(learner.toBytes()).as("predicting changes no state").isEqualTo(before);
  }
}
