package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.optim.AdaGrad;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.Ftrl;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.tensor.SparseBatch;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SparseLinearModel}'s step and saved bytes against a reference kept in this test: the arithmetic and the
 * writer as they were before the step walked a compact list of touched rows and the writer wrote in bulk (one walk
 * of the whole table per phase, every float through {@link DataOutputStream#writeFloat}). The bytes must be equal
 * after many minibatches of frequent and rare features, with L1/L2, schedules, undone and rejected steps.
 */
class SparseStepReferenceTest {

  private static final int BITS = 10;
  private static final int DIM = 1 << BITS;

  @ParameterizedTest
  @ValueSource(strings = {
      "\"algorithm\":\"softmax-regression\",\"numClasses\":7,"
          + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":0.5,\"l1\":0.02,\"l2\":0.3},"
          + "\"schedule\":{\"type\":\"inverse\",\"decay\":0.01}",
      "\"algorithm\":\"logistic-regression\",\"numClasses\":2,"
          + "\"optimizer\":{\"type\":\"adagrad\",\"learningRate\":0.4},\"schedule\":{\"type\":\"step\",\"steps\":[50,120]}",
      "\"algorithm\":\"softmax-regression\",\"numClasses\":4,"
          + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.7},\"schedule\":{\"type\":\"exponential\",\"gamma\":0.995}",
      "\"algorithm\":\"linear-regression\",\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.1,\"l1\":0.001,\"l2\":1}"})
  void manyMinibatchesGiveTheReferencesBytes(String keys) throws IOException {
    ModelSpec spec = ModelSpec.parse("{" + keys + ",\"hashing\":{\"bits\":" + BITS + "},\"standardize\":false,"
        + "\"batchSize\":16}");
    SparseLinearModel model = SparseLinearModel.create(spec);
    Reference reference = new Reference(spec);
    Random random = new Random(23);
    SparseBatch batch = new SparseBatch(DIM);
    for (int step = 0; step < 300; step++) {
      int rows = 1 + random.nextInt(16);
      batch.clear();
      int[] labels = new int[rows];
      float[] targets = new float[rows];
      float[] weights = step % 3 == 0 ? null : new float[rows];
      for (int r = 0; r < rows; r++) {
        int[] features = features(random);
        batch.add(features, values(random, features.length));
        labels[r] = random.nextInt(Math.max(1, spec.numClasses()));
        targets[r] = random.nextFloat() * 4 - 2;
        if (weights != null) {
          weights[r] = random.nextFloat() * 2;
        }
      }
      if (step % 41 == 40) {
        // A step the caller undoes (as a wide and deep model does when its deep part rejects the minibatch).
        train(model, batch, labels, targets, weights);
        model.undoStep();
      } else {
        assertThat(train(model, batch, labels, targets, weights))
            .isEqualTo(reference.train(batch, labels, targets, weights));
      }
      if (step % 50 == 49) {
        assertThat(model.toBytes()).as("after minibatch %d", step).isEqualTo(reference.toBytes());
      }
    }
    if (!spec.isClassifier()) {
      batch.clear();
      batch.add(new int[] {3, DIM - 1}, new float[] {3e38f, 3e38f});
      assertThatThrownBy(() -> model.trainMinibatch(batch, new float[] {-3e38f}, null))
          .isInstanceOf(NonFiniteUpdateException.class);
    }
    assertThat(model.toBytes()).isEqualTo(reference.toBytes());
    assertThat(model.steps()).isEqualTo(reference.steps);
  }

  private static double train(SparseLinearModel model, SparseBatch batch, int[] labels, float[] targets,
      float[] weights) {
    return model.isClassifier() ? model.trainMinibatch(batch, labels, weights)
        : model.trainMinibatch(batch, targets, weights);
  }

  /** A few features: mostly among the 8 frequent ones, the rest anywhere in the table (rare ones). */
  private static int[] features(Random random) {
    TreeSet<Integer> set = new TreeSet<>();
    int count = 1 + random.nextInt(6);
    while (set.size() < count) {
      set.add(random.nextInt(4) > 0 ? random.nextInt(8) * 97 : random.nextInt(DIM));
    }
    return set.stream().mapToInt(Integer::intValue).toArray();
  }

  private static float[] values(Random random, int count) {
    float[] values = new float[count];
    for (int i = 0; i < values.length; i++) {
      values[i] = random.nextFloat() * 2 - 1;
    }
    return values;
  }

  /** The step and the writer as they were: a walk of the whole touched-row bitmap for each phase. */
  private static final class Reference {
    final ModelSpec spec;
    final int outputs;
    final float[] weights;
    final float[][] slots;
    final float[] gradient;
    final long[] touched;
    long steps;
    long examples;

    Reference(ModelSpec spec) {
      this.spec = spec;
      this.outputs = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
      int size = (DIM + 1) * outputs;
      this.weights = new float[size];
      this.slots = new float[spec.optimizer() instanceof FtrlSpec ? 2 : spec.optimizer() instanceof AdaGradSpec ? 1
          : 0][size];
      this.gradient = new float[size];
      this.touched = new long[(DIM >>> 6) + 1];
    }

    double train(SparseBatch batch, int[] labels, float[] targets, float[] exampleWeights) {
      int n = batch.rows();
      float[] out = new float[n * outputs];
      float[] outGradient = new float[n * outputs];
      for (int r = 0; r < n; r++) {
        System.arraycopy(weights, DIM * outputs, out, r * outputs, outputs);
        for (int e = batch.rowStart(r); e < batch.rowStart(r + 1); e++) {
          for (int k = 0; k < outputs; k++) {
            out[r * outputs + k] += batch.values()[e] * weights[batch.indices()[e] * outputs + k];
          }
        }
      }
      double loss = spec.isClassifier()
          ? spec.classificationLoss().lossAndGradient(out, n, spec.numClasses(), labels, exampleWeights, outGradient)
          : SquaredError.INSTANCE.lossAndGradient(out, n, 1, targets, exampleWeights, outGradient);
      java.util.Arrays.fill(touched, 0L);
      for (int r = 0; r < n; r++) {
        for (int k = 0; k < outputs; k++) {
          gradient[DIM * outputs + k] += outGradient[r * outputs + k];
        }
        for (int e = batch.rowStart(r); e < batch.rowStart(r + 1); e++) {
          int j = batch.indices()[e];
          touched[j >>> 6] |= 1L << j;
          for (int k = 0; k < outputs; k++) {
            gradient[j * outputs + k] += batch.values()[e] * outGradient[r * outputs + k];
          }
        }
      }
      touched[DIM >>> 6] |= 1L << DIM;
      float learningRate = (float) spec.schedule().learningRate(spec.optimizer().learningRate(), steps);
      for (int word = 0; word < touched.length; word++) {
        for (long bits = touched[word]; bits != 0; bits &= bits - 1) {
          int row = word << 6 | Long.numberOfTrailingZeros(bits);
          for (int k = 0, i = row * outputs; k < outputs; k++, i++) {
            if (spec.optimizer() instanceof FtrlSpec ftrl) {
              Ftrl.update(weights, slots[0], slots[1], i, gradient[i], learningRate, ftrl);
            } else if (spec.optimizer() instanceof AdaGradSpec adaGrad) {
              AdaGrad.update(weights, slots[0], i, gradient[i], learningRate, (float) adaGrad.epsilon());
            } else {
              weights[i] -= learningRate * gradient[i];
            }
            gradient[i] = 0f;
          }
        }
      }
      steps++;
      examples += n;
      return loss;
    }

    /** The saved format (1: a model that carried no optimizer steps), every row not all zero, float by float. */
    byte[] toBytes() throws IOException {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(SparseLinearModel.MAGIC);
      out.writeInt(SparseLinearModel.FORMAT_WITHOUT_CARRIED_STEPS);
      byte[] json = spec.toJson().getBytes(StandardCharsets.UTF_8);
      out.writeInt(json.length);
      out.write(json);
      out.writeLong(steps);
      out.writeLong(examples);
      int stored = 0;
      for (int row = 0; row <= DIM; row++) {
        stored += stored(row) ? 1 : 0;
      }
      out.writeInt(stored);
      for (int row = 0; row <= DIM; row++) {
        if (stored(row)) {
          out.writeInt(row);
          for (float[] array : arrays()) {
            for (int k = 0; k < outputs; k++) {
              out.writeFloat(array[row * outputs + k]);
            }
          }
        }
      }
      return bytes.toByteArray();
    }

    private float[][] arrays() {
      float[][] all = new float[slots.length + 1][];
      all[0] = weights;
      System.arraycopy(slots, 0, all, 1, slots.length);
      return all;
    }

    private boolean stored(int row) {
      for (float[] array : arrays()) {
        for (int k = 0; k < outputs; k++) {
          if (Float.floatToRawIntBits(array[row * outputs + k]) != 0) {
            return true;
          }
        }
      }
      return false;
    }
  }
}
