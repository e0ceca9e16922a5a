package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.nn.WeightInit;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.tensor.SparseBatch;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SparseLinearModelTest {

  private static final int BITS = 6;
  private static final int DIM = 1 << BITS;

  private static ModelSpec hashed(String algorithm, int numClasses, String optimizer) {
    return ModelSpec.parse("{\"algorithm\":\"" + algorithm + "\"," + (numClasses > 0 ? "\"numClasses\":" + numClasses
        + "," : "") + "\"hashing\":{\"bits\":" + BITS + "},\"optimizer\":" + optimizer
        + ",\"standardize\":false,\"batchSize\":4}");
  }

  /** Rows with 3 of the 64 features each, values in [-1, 1), labels from a fixed linear rule. */
  private static float[][] rows(Random random, int count, int[][] indicesOut) {
    float[][] values = new float[count][];
    for (int r = 0; r < count; r++) {
      int a = random.nextInt(DIM / 3);
      indicesOut[r] = new int[] {a, a + DIM / 3, a + 2 * (DIM / 3)};
      values[r] = new float[] {random.nextFloat() * 2 - 1, random.nextFloat() * 2 - 1, random.nextFloat() * 2 - 1};
    }
    return values;
  }

  /**
   * Each optimizer a hashed spec takes at a constant rate, and SGD and AdaGrad under schedules too: a coordinate
   * whose gradient is 0 does not move at any rate. FTRL under a schedule is lazy per coordinate
   * ({@link #ftrlUnderAScheduleKeepsAnUntouchedWeightAtItsLastStepsRate}).
   */
  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"type\":\"sgd\",\"learningRate\":0.5}                       | {\"type\":\"constant\"}",
      "{\"type\":\"adagrad\",\"learningRate\":0.3}                   | {\"type\":\"constant\"}",
      "{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":1,\"l1\":0.01,\"l2\":0.1} | {\"type\":\"constant\"}",
      "{\"type\":\"sgd\",\"learningRate\":0.5}                       | {\"type\":\"inverse\",\"decay\":0.5}",
      "{\"type\":\"adagrad\",\"learningRate\":0.3}                   | {\"type\":\"exponential\",\"gamma\":0.95}",
      "{\"type\":\"adagrad\",\"learningRate\":0.3}                   | {\"type\":\"step\",\"steps\":[20,40]}"})
  void sparseLazyStepsEqualTheDenseLearnersSteps(String optimizer, String schedule) {
    ModelSpec spec = ModelSpec.parse(hashed(ModelSpec.SOFTMAX_REGRESSION, 3, optimizer).toJson()
        .replace("{\"type\":\"constant\"}", schedule));
    SparseLinearModel sparse = SparseLinearModel.create(spec);
    ModelSpec denseSpec = ModelSpec.parse(spec.toJson().replaceAll(",\"hashing\":\\{[^}]*\\}", ""))
        .withInit(WeightInit.ZEROS, 0);
    OnlineLearner dense = OnlineLearner.create(denseSpec);
    Random random = new Random(17);
    SparseBatch batch = new SparseBatch(DIM);
    float[] x = new float[4 * DIM];
    int[] labels = new int[4];
    for (int step = 0; step < 50; step++) {
      int[][] indices = new int[4][];
      float[][] values = rows(random, 4, indices);
      batch.clear();
      java.util.Arrays.fill(x, 0f);
      for (int r = 0; r < 4; r++) {
        batch.add(indices[r], values[r]);
        for (int e = 0; e < 3; e++) {
          x[r * DIM + indices[r][e]] = values[r][e];
        }
        labels[r] = values[r][0] + values[r][1] > 0 ? 0 : values[r][2] > 0 ? 1 : 2;
      }
      double sparseLoss = sparse.trainMinibatch(batch, labels, null);
      double denseLoss = dense.trainMinibatch(x, labels, null, 4);
      assertThat(sparseLoss).isCloseTo(denseLoss, within(1e-5));
    }
    float[] p = new float[3];
    float[] q = new float[3];
    float[] row = new float[DIM];
    row[5] = 0.5f;
    row[5 + DIM / 3] = -1f;
    sparse.predictProba(new SparseVector(new int[] {5, 5 + DIM / 3}, new float[] {0.5f, -1f}), p);
    dense.predictProba(row, 0, q);
    for (int k = 0; k < 3; k++) {
      assertThat(p[k]).isCloseTo(q[k], within(1e-5f));
    }
    assertThat(sparse.steps()).isEqualTo(50);
    assertThat(sparse.examplesSeen()).isEqualTo(200);
  }

  /**
   * FTRL's weight {@code −(z − sgn(z)·λ1) / ((β + √n)/α + λ2)} follows α. Under a schedule a hashed model's lazy step
   * moves only the features a minibatch touched, so a feature seen once keeps the weight of its step's α (per-feature
   * FTRL, as its lazy form is meant to be), where a dense learner, which steps every weight, moves it to each new α.
   * Accepted as such: refusing the pair would leave the models and savepoints of such specs unreadable.
   */
  @Test
  void ftrlUnderAScheduleKeepsAnUntouchedWeightAtItsLastStepsRate() {
    ModelSpec spec = ModelSpec.parse(hashed(ModelSpec.LOGISTIC_REGRESSION, 2, "{\"type\":\"ftrl\",\"alpha\":0.3}")
        .toJson().replace("{\"type\":\"constant\"}", "{\"type\":\"inverse\",\"decay\":0.5}"));
    SparseLinearModel sparse = SparseLinearModel.create(spec);
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {7}, new float[] {1f});
    sparse.trainMinibatch(batch, new int[] {1}, null);
    float once = sparse.weight(7, 0);
    assertThat(once).isNotZero();
    for (int step = 1; step < 200; step++) {
      batch.clear();
      batch.add(new int[] {3}, new float[] {1f});
      sparse.trainMinibatch(batch, new int[] {step % 2}, null);
    }
    assertThat(sparse.weight(7, 0)).as("a feature no later step touched").isEqualTo(once);
  }

  @Test
  void strongL1YieldsExactZerosAndWeakL1DoesNot() {
    SparseLinearModel strong = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.5,\"l1\":100}");
    SparseLinearModel none = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.5,\"l1\":0}");
    int nonZeroStrong = 0;
    int nonZeroNone = 0;
    for (int j = 0; j <= DIM; j++) {
      nonZeroStrong += strong.weight(j, 0) != 0f ? 1 : 0;
      nonZeroNone += none.weight(j, 0) != 0f ? 1 : 0;
    }
    assertThat(nonZeroStrong).isZero();
    assertThat(nonZeroNone).isGreaterThan(DIM / 2);
  }

  @Test
  void savedBytesRestoreExactlyAndTrainingContinuesIdentically() {
    SparseLinearModel model = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.5,\"l1\":0.1,\"l2\":1}");
    byte[] bytes = model.toBytes();
    Predictor read = SavedModels.read(bytes);

    assertThat(read).isInstanceOf(SparseLinearModel.class);
    assertThat(read.toBytes()).isEqualTo(bytes);
    SparseLinearModel restored = (SparseLinearModel) read;
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {1, 9, 40}, new float[] {1f, -0.5f, 2f});
    model.trainMinibatch(batch, new int[] {1}, null);
    restored.trainMinibatch(batch, new int[] {1}, null);
    assertThat(restored.toBytes()).isEqualTo(model.toBytes());
    assertThat(restored.steps()).isEqualTo(model.steps());
    assertThatThrownBy(() -> SavedModels.read(java.util.Arrays.copyOf(bytes, bytes.length - 3)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("corrupt SparseLinearModel bytes");
  }

  /**
   * A carried warm start goes on with the saved model's learning-rate schedule, which follows the optimizer's step
   * count: SGD at 0.1 halving each step, 20 steps, then a fork whose first step is the saved model's 21st, at
   * 0.1·2^-20. Before, the schedule followed the model's count, which a warm start restarts: the fork stepped at 0.1,
   * 10^6 times the saved model's step. A reset start restarts the schedule with the optimizer, as a fresh model.
   */
  @Test
  void aCarriedStartGoesOnWithTheSchedulesStepAndAResetOneRestartsIt() {
    ModelSpec decaying = ModelSpec.parse(hashed(ModelSpec.SOFTMAX_REGRESSION, 3, "{\"type\":\"sgd\","
        + "\"learningRate\":0.1}").toJson().replace("{\"type\":\"constant\"}",
            "{\"type\":\"exponential\",\"gamma\":0.5}"));
    SparseLinearModel source = SparseLinearModel.create(decaying);
    Random random = new Random(3);
    for (int s = 0; s < 20; s++) {
      stepOn(source, random);
    }
    SparseLinearModel carried = source.warmStart(decaying, true);
    SparseLinearModel reset = source.warmStart(decaying, false);
    SparseLinearModel constant = source.warmStart(ModelSpec.parse(decaying.toJson()
        .replace("{\"type\":\"exponential\",\"gamma\":0.5}", "{\"type\":\"constant\"}")), false);
    assertThat(carried.optimizerSteps()).isEqualTo(20);
    assertThat(reset.optimizerSteps()).isZero();
    for (SparseLinearModel model : new SparseLinearModel[] {source, carried, reset, constant}) {
      stepOn(model, new Random(99));
    }

    assertThat(carried.copyRows(0, carried.rows())).as("the saved model's 21st step")
        .containsExactly(source.copyRows(0, source.rows()));
    assertThat(carried.steps()).as("its own count, from 0").isEqualTo(1);
    assertThat(carried.optimizerSteps()).isEqualTo(21);
    assertThat(reset.copyRows(0, reset.rows())).as("a first step at 0.1")
        .containsExactly(constant.copyRows(0, constant.rows()));
    assertThat(reset.optimizerSteps()).isEqualTo(1);
    assertThat(reset.formatVersion()).as("no carried steps: format 1, as before").isEqualTo(1);
  }

  /**
   * The steps a carried start brought survive what the train job does with a model: its bytes (format 2, a
   * snapshot, a checkpoint with the rows in), its rowless bytes with the rows put back (a checkpoint with the rows
   * apart), a copy, and a warm start from it again, which carries its own steps and those it carried.
   */
  @Test
  void carriedStepsSurviveSavedBytesRowsApartCopiesAndAnotherCarriedStart() throws Exception {
    ModelSpec decaying = ModelSpec.parse(hashed(ModelSpec.LOGISTIC_REGRESSION, 2, "{\"type\":\"adagrad\","
        + "\"learningRate\":0.3}").toJson().replace("{\"type\":\"constant\"}",
            "{\"type\":\"inverse\",\"decay\":0.5}"));
    SparseLinearModel source = SparseLinearModel.create(decaying);
    Random random = new Random(11);
    for (int s = 0; s < 7; s++) {
      stepOn(source, random);
    }
    SparseLinearModel carried = source.warmStart(decaying, true);
    stepOn(carried, random);
    stepOn(carried, random);
    byte[] bytes = carried.toBytes();
    assertThat(java.nio.ByteBuffer.wrap(bytes).getInt(4)).as("the format").isEqualTo(2);
    assertThat(carried.formatVersion()).isEqualTo(2);

    SparseLinearModel read = SparseLinearModel.fromBytes(bytes);
    SparseLinearModel rebuilt = rowless(carried);
    rebuilt.putRows(0, carried.copyRows(0, carried.rows()));
    SparseLinearModel copy = carried.copy();
    for (SparseLinearModel model : new SparseLinearModel[] {read, rebuilt, copy}) {
      assertThat(model.steps()).isEqualTo(2);
      assertThat(model.optimizerSteps()).isEqualTo(9);
      assertThat(model.toBytes()).isEqualTo(bytes);
    }
    SparseLinearModel again = read.warmStart(decaying, true);
    assertThat(again.steps()).isZero();
    assertThat(again.optimizerSteps()).as("7 + 2").isEqualTo(9);
    for (SparseLinearModel model : new SparseLinearModel[] {carried, read, rebuilt, copy, again}) {
      stepOn(model, new Random(5));
    }
    for (SparseLinearModel model : new SparseLinearModel[] {read, rebuilt, copy, again}) {
      assertThat(model.copyRows(0, model.rows())).as("the next step, at the schedule's step 9")
          .containsExactly(carried.copyRows(0, carried.rows()));
    }
  }

  /**
   * Format 2 is written only with carried steps, whose sum with the model's steps is a step count: other values are
   * refused naming the field, the expected and the actual value; a format this build does not know is refused too.
   */
  @Test
  void savedCarriedStepsOutOfRangeAndAnUnknownFormatAreRefused() {
    SparseLinearModel source = trainLogistic("{\"type\":\"adagrad\",\"learningRate\":0.3}");
    SparseLinearModel fork = source.warmStart(source.spec(), true);
    stepOn(fork, new Random(1));
    byte[] bytes = fork.toBytes();
    int carriedAt = 4 + 4 + 4 + source.spec().toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8).length + 16;
    assertThat(java.nio.ByteBuffer.wrap(bytes).getLong(carriedAt)).as("after the counts").isEqualTo(200);
    for (long carried : new long[] {0, -1, Long.MAX_VALUE}) {
      byte[] forged = bytes.clone();
      java.nio.ByteBuffer.wrap(forged).putLong(carriedAt, carried);
      assertThatIllegalArgumentException().isThrownBy(() -> SparseLinearModel.fromBytes(forged))
          .withMessageEndingWith("SparseLinearModel: carried optimizer steps " + carried + " out of range: expected 1 "
              + "to 2^63 - 1 - steps (1) in format 2");
    }
    byte[] format3 = bytes.clone();
    java.nio.ByteBuffer.wrap(format3).putInt(4, 3);
    assertThatIllegalArgumentException().isThrownBy(() -> SparseLinearModel.fromBytes(format3))
        .withMessageEndingWith("SparseLinearModel format 3 is not readable; expected 1 to 2");
  }

  /** One step on 4 rows of {@link #rows}, labelled as in {@link #sparseLazyStepsEqualTheDenseLearnersSteps}. */
  private static void stepOn(SparseLinearModel model, Random random) {
    int[][] indices = new int[4][];
    float[][] values = rows(random, 4, indices);
    SparseBatch batch = new SparseBatch(DIM);
    int[] labels = new int[4];
    for (int r = 0; r < 4; r++) {
      batch.add(indices[r], values[r]);
      labels[r] = values[r][0] + values[r][1] > 0 ? 0 : values[r][2] > 0 ? 1 : model.spec().numClasses() - 1;
    }
    model.trainMinibatch(batch, labels, null);
  }

  @Test
  void aNonFiniteLossIsRejectedAndLeavesTheModelUnchanged() {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.LINEAR_REGRESSION, 0,
        "{\"type\":\"sgd\",\"learningRate\":0.1}"));
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3}, new float[] {1f});
    model.trainMinibatch(batch, new float[] {2f}, null);
    byte[] before = model.toBytes();
    batch.clear();
    batch.add(new int[] {3}, new float[] {3e38f});
    assertThatThrownBy(() -> model.trainMinibatch(batch, new float[] {-3e38f}, null))
        .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("the model is unchanged");
    assertThat(model.toBytes()).isEqualTo(before);
  }

  @Test
  void aStepThatWouldOverflowAWeightIsRolledBack() {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.LINEAR_REGRESSION, 0,
        "{\"type\":\"sgd\",\"learningRate\":1e38}"));
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3, 7}, new float[] {1f, 1f});
    byte[] before = model.toBytes();
    assertThatThrownBy(() -> model.trainMinibatch(batch, new float[] {100f}, null))
        .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("weight Infinity of feature 3");
    assertThat(model.toBytes()).isEqualTo(before);
  }

  @Test
  void aHashedSpecRefusesWhatTheSparsePathDoesNotDo() {
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"mlp\",\"numClasses\":2,\"layers\":[{\"units\":4}],"
        + "\"hashing\":{\"bits\":4},\"standardize\":false,\"optimizer\":{\"type\":\"sgd\"}}"))
        .hasMessageContaining("ModelSpec key 'algorithm': expected one of")
        .hasMessageContaining("got \"mlp\"");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":4},"
        + "\"standardize\":false}"))
        .hasMessage("ModelSpec key 'optimizer.type': expected one of [\"sgd\", \"adagrad\", \"ftrl\"] with hashing, "
            + "got \"adam\"");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":4},"
        + "\"inputDim\":10,\"standardize\":false,\"optimizer\":{\"type\":\"ftrl\"}}"))
        .hasMessage("ModelSpec key 'inputDim': expected 2^hashing.bits = 16, got 10");
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":4,"
        + "\"fields\":[\"a\",\"b\"],\"interactions\":[[\"a\",\"b\"]]},\"standardize\":false,"
        + "\"optimizer\":{\"type\":\"ftrl\"}}");
    assertThat(spec.inputDim()).isEqualTo(16);
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec);
  }

  /**
   * A model split into row ranges (a train job's map state of row blocks) and put back together from them and its
   * rowless bytes is the same model, byte for byte; the rows each step changed are listed for a holder to write back.
   */
  @Test
  void rowRangesAndChangedRowsRebuildTheSameModel() throws Exception {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.SOFTMAX_REGRESSION, 3,
        "{\"type\":\"ftrl\",\"alpha\":0.3,\"l1\":0.01}"));
    assertThat(model.rowWidth()).as("3 outputs × (weight, z, n)").isEqualTo(9);
    var changed = model.changedRows();
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3, 40}, new float[] {1f, -0.5f});
    batch.add(new int[] {3, 63}, new float[] {0.25f, 2f});
    model.trainMinibatch(batch, new int[] {0, 2}, null);
    changed.sort();
    assertThat(java.util.stream.IntStream.range(0, changed.size()).map(changed::row).toArray())
        .as("the rows the step touched, the biases' included").containsExactly(3, 40, 63, DIM);
    changed.clear();

    SparseLinearModel trained = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.3,\"l1\":0.01}");
    java.io.ByteArrayOutputStream rowless = new java.io.ByteArrayOutputStream();
    trained.writeWithoutRowsTo(new java.io.DataOutputStream(rowless));
    SparseLinearModel rebuilt = SparseLinearModel.readFrom(
        new java.io.DataInputStream(new java.io.ByteArrayInputStream(rowless.toByteArray())));
    assertThat(rebuilt.steps()).isEqualTo(trained.steps());
    assertThat(rebuilt.weight(DIM, 0)).as("no rows, not even the biases").isZero();
    for (int from = 0; from < trained.rows(); from += 16) {
      int count = Math.min(16, trained.rows() - from);
      float[] block = trained.copyRows(from, count);
      assertThat(block).hasSize(count * trained.rowWidth());
      rebuilt.putRows(from, block);
    }
    assertThat(rebuilt.toBytes()).isEqualTo(trained.toBytes());
    assertThat(rebuilt.nextWrittenRow(0)).isEqualTo(trained.nextWrittenRow(0));
  }

  /**
   * An undone step (a wide and deep model's, when its deep part refuses the minibatch) takes the rows it first listed
   * as changed out again, so a holder does not write their blocks back; rows listed before it stay, in their order.
   */
  @Test
  void anUndoneStepLeavesTheChangedRowsAsBeforeIt() {
    SparseLinearModel undone = SparseLinearModel.create(hashed(ModelSpec.SOFTMAX_REGRESSION, 3,
        "{\"type\":\"ftrl\",\"alpha\":0.3,\"l1\":0.01}"));
    var changed = undone.changedRows();
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3, 40}, new float[] {1f, -0.5f});
    undone.trainMinibatch(batch, new int[] {0}, null);
    batch.clear();
    // Rows 3 and the biases' listed before the step, 7 and 63 first listed by it.
    batch.add(new int[] {3, 7, 63}, new float[] {0.25f, 2f, -1f});
    undone.trainMinibatch(batch, new int[] {2}, null);
    assertThat(changed.size()).as("the step listed its rows").isEqualTo(5);
    undone.undoStep();
    assertThat(java.util.stream.IntStream.range(0, changed.size()).map(changed::row).toArray())
        .as("the rows before the undone step, in their order").containsExactly(3, 40, DIM);
    assertThat(changed.contains(7) || changed.contains(63)).as("rows only the undone step listed").isFalse();

    batch.clear();
    batch.add(new int[] {63}, new float[] {1f});
    undone.trainMinibatch(batch, new int[] {1}, null);
    changed.sort();
    assertThat(java.util.stream.IntStream.range(0, changed.size()).map(changed::row).toArray())
        .as("the next step lists its rows again").containsExactly(3, 40, 63, DIM);
  }

  /**
   * An undone step leaves the written rows as they were before it: a row it wrote first is no longer written (a rows
   * checkpoint, a copy and the size estimate would carry it otherwise), rows written before it stay written. So does
   * a step rejected or rolled back before it changed anything.
   */
  @Test
  void anUndoneOrRejectedStepLeavesTheWrittenRowsAsBeforeIt() {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.SOFTMAX_REGRESSION, 3,
        "{\"type\":\"adagrad\",\"learningRate\":0.3}"));
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3, 40}, new float[] {1f, -0.5f});
    model.trainMinibatch(batch, new int[] {0}, null);
    int[] writtenBefore = writtenRows(model);
    long sizeBefore = model.savedSizeBound(0);
    byte[] bytesBefore = model.toBytes();
    assertThat(writtenBefore).containsExactly(3, 40, DIM);

    // Rows 7 and 63 written first by the step, 3 and the biases' before it.
    batch.clear();
    batch.add(new int[] {3, 7, 63}, new float[] {0.25f, 2f, -1f});
    model.trainMinibatch(batch, new int[] {2}, null);
    assertThat(writtenRows(model)).as("the step wrote its rows").containsExactly(3, 7, 40, 63, DIM);
    model.undoStep();
    assertThat(writtenRows(model)).as("written rows after the undo").containsExactly(writtenBefore);
    assertThat(model.savedSizeBound(0)).as("the size estimate after the undo").isEqualTo(sizeBefore);
    assertThat(model.toBytes()).isEqualTo(bytesBefore);

    // A step on rows written before only: undone, they stay written.
    batch.clear();
    batch.add(new int[] {40}, new float[] {1f});
    model.trainMinibatch(batch, new int[] {1}, null);
    model.undoStep();
    assertThat(writtenRows(model)).as("rows written before the undone step").containsExactly(writtenBefore);
    assertThat(model.savedSizeBound(0)).isEqualTo(sizeBefore);

    // A step rejected before it stepped, on a row never written.
    batch.clear();
    batch.add(new int[] {20}, new float[] {Float.NaN});
    assertThatThrownBy(() -> model.trainMinibatch(batch, new int[] {1}, null))
        .isInstanceOf(NonFiniteUpdateException.class);
    assertThat(writtenRows(model)).as("written rows after a rejected step").containsExactly(writtenBefore);
    assertThat(model.savedSizeBound(0)).isEqualTo(sizeBefore);
    assertThat(model.toBytes()).isEqualTo(bytesBefore);
  }

  @Test
  void aStepRolledBackForOverflowLeavesTheWrittenRowsAsBeforeIt() {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.LINEAR_REGRESSION, 0,
        "{\"type\":\"sgd\",\"learningRate\":1e38}"));
    SparseBatch batch = new SparseBatch(DIM);
    batch.add(new int[] {3, 7}, new float[] {1f, 1f});
    assertThatThrownBy(() -> model.trainMinibatch(batch, new float[] {100f}, null))
        .isInstanceOf(NonFiniteUpdateException.class).hasMessageContaining("weight Infinity of feature 3");
    assertThat(model.nextWrittenRow(0)).as("no row written").isEqualTo(-1);
    assertThat(model.savedSizeBound(0)).isEqualTo(SparseLinearModel.create(model.spec()).savedSizeBound(0));
  }

  private static int[] writtenRows(SparseLinearModel model) {
    return java.util.stream.IntStream.iterate(model.nextWrittenRow(0), row -> row >= 0,
        row -> model.nextWrittenRow(row + 1)).toArray();
  }

  /**
   * A saved hashed model's optimizer state is checked as it is read: finite, and AdaGrad's sum and FTRL's n, sums of
   * squares, not below 0 (a negative one made the weight NaN at its next step). The saved rows end with the biases'
   * row, whose last floats are its slots: FTRL's z then n, AdaGrad's sum.
   */
  @Test
  void aSavedSlotBelowZeroOrNotFiniteIsRefusedNamingTheRow() {
    byte[] ftrl = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.5}").toBytes();
    byte[] adaGrad = trainLogistic("{\"type\":\"adagrad\",\"learningRate\":0.3}").toBytes();
    assertThatIllegalArgumentException().isThrownBy(() -> SparseLinearModel.fromBytes(forged(ftrl, 1, -1f)))
        .withMessageEndingWith("SparseLinearModel: ftrl n of row 64, output 0: expected a finite number >= 0, "
            + "stream has -1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> SparseLinearModel.fromBytes(forged(ftrl, 2, Float.NaN)))
        .withMessageEndingWith("SparseLinearModel: ftrl z of row 64, output 0: expected a finite number, stream has NaN");
    assertThat(SparseLinearModel.fromBytes(forged(ftrl, 2, -5f)).weight(DIM, 0)).as("z may be negative")
        .isEqualTo(SparseLinearModel.fromBytes(ftrl).weight(DIM, 0));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> SparseLinearModel.fromBytes(forged(adaGrad, 1, Float.NEGATIVE_INFINITY)))
        .withMessageEndingWith("SparseLinearModel: adagrad squared-gradient sum of row 64, output 0: expected a finite "
            + "number >= 0, stream has -Infinity");
  }

  /**
   * Rows put back from apart (the train job's hashed rows state) are checked as read ones are, by the same rule:
   * finite, and AdaGrad's sum and FTRL's n not below 0; a refused block changes no row. A row is its weight, then
   * FTRL's z and n, or AdaGrad's sum.
   */
  @Test
  void putRowsRefusesASlotBelowZeroOrNotFiniteNamingTheRowAndChangesNothing() throws Exception {
    SparseLinearModel ftrl = trainLogistic("{\"type\":\"ftrl\",\"alpha\":0.5}");
    SparseLinearModel adaGrad = trainLogistic("{\"type\":\"adagrad\",\"learningRate\":0.3}");
    int from = ftrl.nextWrittenRow(0);
    assertThat(ftrl.nextWrittenRow(from + 1)).as("a second written row").isPositive();
    int second = ftrl.nextWrittenRow(from + 1);
    record Forged(SparseLinearModel model, int slot, float value, String message) {}
    for (Forged forged : new Forged[] {
        new Forged(ftrl, 2, -1f, "putRows: ftrl n of row " + second + ", output 0: expected a finite number >= 0, got -1.0"),
        new Forged(ftrl, 1, Float.NaN, "putRows: ftrl z of row " + second + ", output 0: expected a finite number, "
            + "got NaN"),
        new Forged(adaGrad, 1, Float.NEGATIVE_INFINITY, "putRows: adagrad squared-gradient sum of row " + second
            + ", output 0: expected a finite number >= 0, got -Infinity")}) {
      SparseLinearModel model = forged.model();
      float[] block = model.copyRows(from, second - from + 1);
      block[(second - from) * model.rowWidth() + forged.slot()] = forged.value();
      SparseLinearModel rebuilt = rowless(model);
      assertThatIllegalArgumentException().isThrownBy(() -> rebuilt.putRows(from, block))
          .withMessage(forged.message());
      assertThat(rebuilt.nextWrittenRow(0)).as("no row put, not even the valid one before").isEqualTo(-1);
      assertThat(rebuilt.toBytes()).isEqualTo(rowless(model).toBytes());
    }
    float[] negativeZ = ftrl.copyRows(second, 1);
    negativeZ[1] = -5f;
    SparseLinearModel rebuilt = rowless(ftrl);
    rebuilt.putRows(second, negativeZ);
    assertThat(rebuilt.copyRows(second, 1)).as("z may be negative").containsExactly(negativeZ);
  }

  /** {@code model} without its rows, read back from its rowless bytes. */
  private static SparseLinearModel rowless(SparseLinearModel model) throws java.io.IOException {
    return SparseLinearModel.readFrom(new BinaryState.Bytes(BinaryState.toBytes(model::writeWithoutRowsTo)));
  }

  /** {@code bytes} with the float {@code fromEnd} floats before the end set to {@code value}. */
  private static byte[] forged(byte[] bytes, int fromEnd, float value) {
    byte[] forged = bytes.clone();
    java.nio.ByteBuffer.wrap(forged).putFloat(forged.length - 4 * fromEnd, value);
    return forged;
  }

  private static SparseLinearModel trainLogistic(String optimizer) {
    SparseLinearModel model = SparseLinearModel.create(hashed(ModelSpec.LOGISTIC_REGRESSION, 2, optimizer));
    Random random = new Random(5);
    SparseBatch batch = new SparseBatch(DIM);
    int[] labels = new int[4];
    for (int step = 0; step < 200; step++) {
      int[][] indices = new int[4][];
      float[][] values = rows(random, 4, indices);
      batch.clear();
      for (int r = 0; r < 4; r++) {
        batch.add(indices[r], values[r]);
        labels[r] = values[r][0] - values[r][2] > 0 ? 1 : 0;
      }
      model.trainMinibatch(batch, labels, null);
    }
    return model;
  }
}
