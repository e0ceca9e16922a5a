package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DoctorNetTest {

  private static final int K = 4;
  private static final int DIM = 8;

  private static ModelSpec mlp() {
    return ModelSpec.mlp(DIM, K, List.of(HiddenLayerSpec.of(16, ActivationFunction.RELU))).withSeed(3);
  }

  private static AnnotatorPool pool() {
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      people.add(new SimulatedAnnotator("expert-" + i, "expert", AnnotatorPool.uniformErrors(K, 0.9)));
      people.add(new SimulatedAnnotator("spammer-" + i, "spammer", AnnotatorPool.uniformErrors(K, 1.0 / K)));
    }
    return new AnnotatorPool(people);
  }

  @Test
  void logitGradientMatchesFiniteDifferences() {
    double[] logits = {0.3, -0.2, 0.5};
    float[][] heads = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.6f, 0.3f}, {0.3f, 0.3f, 0.4f}};
    float[] target = {2 / 3f, 1 / 3f, 0f};
    double[] gradient = new double[3];
    WeightedDoctorNetLabelModel.logitGradient(softmax(logits), heads, target, 3, gradient);
    double h = 1e-6;
    for (int i = 0; i < 3; i++) {
      double[] up = logits.clone();
      double[] down = logits.clone();
      up[i] += h;
      down[i] -= h;
      double numeric = (loss(softmax(up), heads, target) - loss(softmax(down), heads, target)) / (2 * h);
      assertThat(gradient[i]).isCloseTo(numeric, within(1e-6));
    }
  }

  @Test
  void denoisingRecoversTheTrueClassesFromWhatAShifterSays() {
    int k = 3;
    double[] confusion = {0.3, 0.7, 0, 0, 0.3, 0.7, 0.7, 0, 0.3};
    double[] truth = {0.6, 0.3, 0.1};
    float[] said = new float[k];
    WeightedDoctorNetLabelModel.expectedLabels(confusion, 0, k, toFloats(truth), said, 0);
    assertThat(said).containsExactly(new float[] {0.25f, 0.51f, 0.24f}, within(1e-6f));
    double[] p = new double[k];
    WeightedDoctorNetLabelModel.denoise(confusion, 0, k, said, 500, p, new double[k]);
    assertThat(p).containsExactly(truth, within(1e-3));
    WeightedDoctorNetLabelModel.denoise(confusion, 0, k, said, 1, p, new double[k]);
    assertThat(p[0]).as("one step already moves the mass from what the shifter says back to class 0")
        .isGreaterThan(p[1]);
  }

  @Test
  void denoisingThroughAFlatConfusionStaysUniform() {
    int k = 4;
    double[] spammer = new double[k * k];
    Arrays.fill(spammer, 0.25);
    double[] p = new double[k];
    WeightedDoctorNetLabelModel.denoise(spammer, 0, k, new float[] {0.7f, 0.1f, 0.1f, 0.1f}, 10, p, new double[k]);
    assertThat(p).containsExactly(new double[] {0.25, 0.25, 0.25, 0.25}, within(1e-12));
  }

  @Test
  void pairsWithOneHotTargetsTrainAsLabelsDo() throws IOException {
    GaussianBlobs data = GaussianBlobs.generate(16, DIM, K, 5);
    int[] slots = {0, 1, 0, 2, 1, 0, 2, 2, 1, 0, 0, 1, 2, 0, 1, 2};
    DoctorNet byLabels = new DoctorNet(mlp(), 3);
    DoctorNet byPairs = new DoctorNet(mlp(), 3);
    byLabels.ensureHead(2);
    byPairs.ensureHead(2);
    int[] examples = new int[16];
    float[] targets = new float[16 * K];
    for (int e = 0; e < 16; e++) {
      examples[e] = e;
      targets[e * K + data.labels()[e]] = 1;
    }
    double loss = byLabels.train(data.x(), slots, data.labels(), 16);
    assertThat(byPairs.train(data.x(), 16, examples, slots, targets, 16)).isCloseTo(loss, within(1e-6));
    assertThat(bytes(byPairs)).isEqualTo(bytes(byLabels));
  }

  private static float[] toFloats(double[] values) {
    float[] out = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = (float) values[i];
    }
    return out;
  }

  private static byte[] bytes(DoctorNet net) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    net.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }

  @ParameterizedTest
  @ValueSource(strings = {DoctorNetLabelModel.NAME, WeightedDoctorNetLabelModel.NAME})
  void learnsFromNoisyAnnotatorsAndRoundTripsWithABody(String name) throws IOException {
    GaussianBlobs data = GaussianBlobs.generate(2000, DIM, K, 21);
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(data.labels(), new int[] {3}, 22);
    LabelModel model = LabelModels.create(mlp(), LabelModelSpec.withMaxAnnotators(name, 8));
    train(model, data, pool, stream, 0, stream.size() / 2);
    byte[] bytes = bytes(model);
    LabelModel restored = LabelModels.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
    LabelModel copy = model.copy();
    assertThat(bytes(restored)).isEqualTo(bytes);
    train(model, data, pool, stream, stream.size() / 2, stream.size());
    train(restored, data, pool, stream, stream.size() / 2, stream.size());
    assertThat(bytes(restored)).isEqualTo(bytes(model));
    assertThat(bytes(copy)).isEqualTo(bytes);
    int right = 0;
    for (int i = 0; i < data.rows(); i++) {
      right += model.predict(data.x(), i * DIM) == data.labels()[i] ? 1 : 0;
    }
    assertThat((double) right / data.rows()).isGreaterThan(0.6);
    assertThat(model.annotator("expert-0").reliability()).isGreaterThan(model.annotator("spammer-0").reliability());
    if (name.equals(WeightedDoctorNetLabelModel.NAME)) {
      assertThat(model.annotator("expert-0").weight() + model.annotator("expert-1").weight())
          .isGreaterThan(model.annotator("spammer-0").weight() + model.annotator("spammer-1").weight());
    } else {
      assertThat(model.annotator("expert-0").weight()).isNaN();
    }
  }

  @Test
  void rejectsBodiesItCannotTrain() {
    ModelSpec dropout =
        ModelSpec.mlp(DIM, K, List.of(HiddenLayerSpec.of(16, ActivationFunction.RELU).withDropout(0.2)));
    assertThatThrownBy(() ->
        new DoctorNetLabelModel(dropout, LabelModelSpec.withMaxAnnotators(DoctorNetLabelModel.NAME, 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dropout=0.2");
  }

  private static void train(LabelModel model, GaussianBlobs data, AnnotatorPool pool, LabelStream stream, int from,
      int to) {
    LabelEvents.train(model, data, pool, stream, from, to, 32);
  }

  private static double[] softmax(double[] logits) {
    double sum = 0;
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = Math.exp(logits[i]);
      sum += out[i];
    }
    for (int i = 0; i < logits.length; i++) {
      out[i] /= sum;
    }
    return out;
  }

  private static double loss(double[] alpha, float[][] heads, float[] target) {
    double loss = 0;
    for (int c = 0; c < target.length; c++) {
      double p = 0;
      for (int i = 0; i < alpha.length; i++) {
        p += alpha[i] * heads[i][c];
      }
      loss -= target[c] * Math.log(p);
    }
    return loss;
  }

  private static byte[] bytes(LabelModel model) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    model.writeTo(new DataOutputStream(buffer));
    return buffer.toByteArray();
  }

  /** Class probabilities of {@code model} for the first {@code rows} examples, flattened. */
  private static float[] predictions(LabelModel model, GaussianBlobs data, int rows) {
    float[] out = new float[rows * K];
    float[] p = new float[K];
    for (int r = 0; r < rows; r++) {
      model.predictProba(data.x(), r * DIM, p);
      System.arraycopy(p, 0, out, r * K, K);
    }
    return out;
  }

  /** {@code steps} doctor-net steps of SGD({@code lr}) on 32 labels of one annotator, then its predictions on 20 examples. */
  private static float[] after(ModelSpec spec, double lr, int steps, GaussianBlobs data) {
    LabelModel model = new DoctorNetLabelModel(spec.withOptimizer(new dev.chorus.core.optim.SgdSpec(lr)),
        LabelModelSpec.withMaxAnnotators(DoctorNetLabelModel.NAME, 2));
    long[] items = new long[32];
    String[] who = new String[32];
    for (int e = 0; e < 32; e++) {
      items[e] = e;
      who[e] = "a";
    }
    for (int i = 0; i < steps; i++) {
      model.train(data.x(), items, who, data.labels(), 32);
    }
    return predictions(model, data, 20);
  }

  @Test
  void theSpecsClippingPenaltiesAndScheduleApplyToTheBodyAndHeads() {
    GaussianBlobs data = GaussianBlobs.generate(64, DIM, K, 9);
    ModelSpec spec = mlp();
    float[] plain = after(spec, 0.5, 1, data);
    float[] barely = after(spec, 1e-12, 1, data);
    assertThat(plain).as("a step moves the predictions").isNotEqualTo(barely);
    assertThat(after(spec.withClipNorm(1e-12), 0.5, 1, data)).as("a vanishing gradient-norm bound: no move")
        .containsExactly(barely, within(1e-6f));
    assertThat(after(spec.withSchedule(new dev.chorus.core.optim.LearningRateSchedule.Exponential(1e-12)), 0.5, 2,
        data)).as("the schedule makes the second step vanish").containsExactly(plain, within(1e-6f));
    assertThat(after(spec, 0.5, 2, data)).as("without it the second step moves").isNotEqualTo(plain);

    float[] sparse = after(spec.withL1(1e3), 0.5, 1, data);
    for (int r = 1; r < 20; r++) {
      for (int c = 0; c < K; c++) {
        assertThat(sparse[r * K + c]).as("an L1 step this strong zeroes every weight: only biases are left")
            .isCloseTo(sparse[c], within(1e-6f));
      }
    }
    assertThat(after(spec.withL2(0.5), 0.5, 1, data)).as("the L2 gradient changes the step").isNotEqualTo(plain);
  }
}
