package dev.chorus.core.annotators;

import static dev.chorus.core.annotators.AveragedLabelModelTest.BATCH;
import static dev.chorus.core.annotators.AveragedLabelModelTest.DATA;
import static dev.chorus.core.annotators.AveragedLabelModelTest.DIM;
import static dev.chorus.core.annotators.AveragedLabelModelTest.K;
import static dev.chorus.core.annotators.AveragedLabelModelTest.SPEC;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.ParameterAverage;
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

/**
 * A Doctor Net whose spec has {@code averaging}: its body and every head keep an exponential moving average of their
 * parameters; everything training reads (the E-step's prior, the targets, the confusions, the averaging weights) is
 * the live body's and heads', so those are the same label model's without averaging, bit for bit, while what the
 * label model predicts is computed from the averaged body and heads. A rejected minibatch leaves the averages as it
 * leaves everything else: {@link RejectedMinibatchTest}.
 */
class AveragedDoctorNetTest {

  private static final double DECAY = 0.9;
  private static final ModelSpec AVERAGED = SPEC.withAveraging(new AveragingSpec(DECAY));

  private static LabelModelSpec config(String method) {
    return new LabelModelSpec(method, 8, 300, 3000, 3);
  }

  /** Four annotators, two of them good, two noisy: several heads. */
  private static AnnotatorPool pool() {
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      people.add(new SimulatedAnnotator("good-" + i, "good", AnnotatorPool.uniformErrors(K, 0.9)));
      people.add(new SimulatedAnnotator("noisy-" + i, "noisy", AnnotatorPool.uniformErrors(K, 0.5)));
    }
    return new AnnotatorPool(people);
  }

  /**
   * {@code method} trained for two passes over four labels per item, 2,400 events: past the weighted Doctor Net's
   * warm-up ({@link DawidSkeneLabelModel#WARMUP_EXAMPLES}), after which its E-step's prior is the model's prediction.
   */
  private static DoctorNetModel trained(ModelSpec spec, String method) {
    DoctorNetModel model = (DoctorNetModel) LabelModels.create(spec, config(method));
    AnnotatorPool pool = pool();
    LabelStream stream = pool.label(DATA.labels(), new int[] {4}, 5);
    for (int pass = 0; pass < 2; pass++) {
      LabelEvents.train(model, DATA, pool, stream, 0, stream.size(), BATCH);
    }
    return model;
  }

  @Test
  void theBodyAndEveryHeadFollowTheRecurrenceANewHeadFromItsFreshWeights() {
    DoctorNet averaged = new DoctorNet(AVERAGED, 4);
    DoctorNet plain = new DoctorNet(SPEC, 4);
    List<double[]> expected = new ArrayList<>();
    int[] slots = new int[BATCH];
    int[] labels = new int[BATCH];
    float[] x = new float[BATCH * DIM];
    for (int step = 1; step <= 30; step++) {
      int heads = step <= 10 ? 3 : 4;
      for (int e = 0; e < BATCH; e++) {
        int row = (step * BATCH + e) % DATA.rows();
        System.arraycopy(DATA.x(), row * DIM, x, e * DIM, DIM);
        labels[e] = DATA.labels()[row];
        // Head 2 is touched only on odd steps: an untouched head's average moves too.
        slots[e] = step % 2 == 0 && e % heads == 2 ? 0 : e % heads;
      }
      for (DoctorNet net : List.of(averaged, plain)) {
        net.ensureHead(heads - 1);
      }
      List<ParameterSet> live = parameters(averaged, false);
      for (int i = expected.size(); i < live.size(); i++) {
        expected.add(doubles(live.get(i)));
      }
      averaged.train(x, slots, labels, BATCH);
      plain.train(x, slots, labels, BATCH);
      double d = ParameterAverage.decayAt(DECAY, step);
      for (int i = 0; i < live.size(); i++) {
        double[] values = doubles(live.get(i));
        for (int j = 0; j < values.length; j++) {
          expected.get(i)[j] = d * expected.get(i)[j] + (1 - d) * values[j];
        }
      }
    }
    assertThat(values(parameters(averaged, false))).as("live body and heads as without averaging")
        .isEqualTo(values(parameters(plain, false)));
    List<ParameterSet> average = parameters(averaged, true);
    assertThat(average).hasSize(expected.size());
    for (int i = 0; i < average.size(); i++) {
      double[] actual = doubles(average.get(i));
      for (int j = 0; j < actual.length; j++) {
        assertThat(actual[j]).as("average %d[%d]", i, j).isCloseTo(expected.get(i)[j], within(1e-5));
      }
      assertThat(actual).as("average %d is not the live one", i)
          .isNotEqualTo(doubles(parameters(averaged, false).get(i)));
    }
  }

  /**
   * The weighted Doctor Net's E-step reads a mean teacher, the spec's average when it has one, else an average at
   * {@link WeightedDoctorNetLabelModel#TEACHER}'s decay: this test's decay is that one, so the plain model's teacher and
   * the averaged model's average are the same and the two train alike.
   */
  @ParameterizedTest
  @ValueSource(strings = {"doctor-net", "weighted-doctor-net", "weighted-doctor-net-paper"})
  void trainingReadsTheLiveBodyAndHeadsAndPredictionsTheAveragedOnes(String method) throws IOException {
    assertThat(DECAY).isEqualTo(WeightedDoctorNetLabelModel.TEACHER.decay());
    DoctorNetModel averaged = trained(AVERAGED, method);
    DoctorNetModel plain = trained(SPEC, method);
    assertThat(BinaryState.toBytes(averaged.estimates::writeTo)).as("confusions from the live heads")
        .isEqualTo(BinaryState.toBytes(plain.estimates::writeTo));
    assertThat(values(parameters(averaged.net, false))).as("live body and heads")
        .isEqualTo(values(parameters(plain.net, false)));
    assertThat(annotatorWeights(averaged)).as("averaging weights learnt from the live heads")
        .isEqualTo(annotatorWeights(plain));

    // The plain model given the averaged body and heads predicts what the averaged one does.
    DoctorNetModel fromAverage = (DoctorNetModel) plain.copy();
    List<ParameterSet> target = parameters(fromAverage.net, false);
    List<ParameterSet> source = parameters(averaged.net, true);
    for (int i = 0; i < target.size(); i++) {
      target.get(i).copyValuesFrom(source.get(i));
    }
    float[] predicted = new float[K];
    float[] expected = new float[K];
    float[] fromLive = new float[K];
    int differ = 0;
    for (int row = 0; row < 20; row++) {
      averaged.predictProba(DATA.x(), row * DIM, predicted);
      fromAverage.predictProba(DATA.x(), row * DIM, expected);
      plain.predictProba(DATA.x(), row * DIM, fromLive);
      assertThat(predicted).isEqualTo(expected);
      differ += Arrays.equals(predicted, fromLive) ? 0 : 1;
    }
    assertThat(differ).as("predictions from the average, not the live body and heads").isEqualTo(20);
  }

  @ParameterizedTest
  @ValueSource(strings = {"doctor-net", "weighted-doctor-net", "weighted-doctor-net-paper"})
  void aSavedAverageRestoresExactlyAndTrainsOnIdentically(String method) throws IOException {
    DoctorNetModel model = trained(AVERAGED, method);
    byte[] saved = model.toBytes();
    LabelModel restored = LabelModels.fromBytes(saved);
    LabelModel copy = model.copy();
    assertThat(restored.toBytes()).isEqualTo(saved);
    assertThat(copy.toBytes()).isEqualTo(saved);
    assertThat(values(parameters(((DoctorNetModel) restored).net, true)))
        .isEqualTo(values(parameters(model.net, true)));

    AnnotatorPool pool = pool();
    LabelStream more = pool.label(DATA.labels(), new int[] {2}, 6);
    for (LabelModel m : List.of(model, restored, copy)) {
      LabelEvents.train(m, DATA, pool, more, 0, 200, BATCH);
    }
    assertThat(restored.toBytes()).isEqualTo(model.toBytes());
    assertThat(copy.toBytes()).isEqualTo(model.toBytes());
  }

  /**
   * A net that keeps a teacher without the spec's {@code averaging} trains and predicts with its live body and heads,
   * as a plain net does, while its teacher is the average the spec's {@code averaging} would keep; copies and saved
   * bytes carry the teacher.
   */
  @Test
  void aTeacherIsTheAverageTheSpecWouldKeepAndNeitherTrainingNorPredictionsReadIt() throws IOException {
    DoctorNet teacher = new DoctorNet(SPEC, 4, new AveragingSpec(DECAY));
    DoctorNet averaged = new DoctorNet(AVERAGED, 4);
    DoctorNet plain = new DoctorNet(SPEC, 4);
    assertThat(teacher.serving()).isSameAs(teacher.live());
    assertThat(teacher.teacher()).isNotSameAs(teacher.live());
    assertThat(plain.teacher()).isSameAs(plain.live());
    assertThat(averaged.teacher()).isSameAs(averaged.serving());
    int[] slots = new int[BATCH];
    int[] labels = new int[BATCH];
    float[] x = new float[BATCH * DIM];
    for (int step = 1; step <= 20; step++) {
      for (int e = 0; e < BATCH; e++) {
        int row = (step * BATCH + e) % DATA.rows();
        System.arraycopy(DATA.x(), row * DIM, x, e * DIM, DIM);
        labels[e] = DATA.labels()[row];
        slots[e] = e % 3;
      }
      for (DoctorNet net : List.of(teacher, averaged, plain)) {
        net.ensureHead(2);
        net.train(x, slots, labels, BATCH);
      }
    }
    assertThat(values(parameters(teacher, false))).as("live body and heads as without a teacher")
        .isEqualTo(values(parameters(plain, false)));
    assertThat(values(parameters(teacher, true))).as("the teacher is the spec's average")
        .isEqualTo(values(parameters(averaged, true)))
        .isNotEqualTo(values(parameters(teacher, false)));
    float[] fromTeacher = new float[K];
    float[] fromAverage = new float[K];
    float[] fromLive = new float[K];
    teacher.teacher().headProba(1, teacher.teacher().features(DATA.x(), 0), fromTeacher);
    averaged.serving().headProba(1, averaged.serving().features(DATA.x(), 0), fromAverage);
    teacher.live().headProba(1, teacher.live().features(DATA.x(), 0), fromLive);
    assertThat(fromTeacher).isEqualTo(fromAverage).isNotEqualTo(fromLive);

    byte[] saved = bytes(teacher);
    assertThat(bytes(plain)).as("a plain net writes no average").hasSizeLessThan(saved.length);
    DoctorNet read = DoctorNetCodec.read(new DataInputStream(new ByteArrayInputStream(saved)), 4,
        new AveragingSpec(DECAY), true);
    assertThat(bytes(read)).isEqualTo(saved);
    assertThat(bytes(teacher.copy())).isEqualTo(saved);
    assertThat(values(parameters(read, true))).isEqualTo(values(parameters(teacher, true)));
    DoctorNet unsaved = DoctorNetCodec.read(new DataInputStream(new ByteArrayInputStream(
        bytes(plain))), 4, new AveragingSpec(DECAY), false);
    assertThat(values(parameters(unsaved, true))).as("a teacher the bytes do not hold starts at the weights read")
        .isEqualTo(values(parameters(plain, false)));
  }

  @Test
  void withoutAveragingTheNetPredictsFromItsLiveBodyAndHeads() {
    DoctorNet net = new DoctorNet(SPEC, 4);
    assertThat(net.average).isNull();
    assertThat(net.serving()).isSameAs(net.live());
    assertThat(new DoctorNet(AVERAGED, 4).serving()).isNotSameAs(new DoctorNet(AVERAGED, 4).live());
  }

  @Test
  void aResetHeadStartsItsAverageAfreshAndARollbackPutsBackTheOldAverageAndForgetsNewHeads() throws IOException {
    DoctorNetModel model = trained(AVERAGED, "doctor-net");
    DoctorNet net = model.net;
    int heads = net.headCount();
    assertThat(heads).isEqualTo(4);
    byte[] before = bytes(net);
    Dense old = net.average.heads()[1];
    net.mark();
    net.resetHead(1);
    net.ensureHead(heads);
    assertThat(values(new ParameterSet(net.average.heads()[1].parameters())))
        .as("a reset head's average starts at its fresh weights").isEqualTo(values(net.headParameters[1]));
    assertThat(values(new ParameterSet(net.average.heads()[heads].parameters())))
        .as("a new head's average starts at its fresh weights").isEqualTo(values(net.headParameters[heads]));
    net.rollback();
    assertThat(net.average.heads()[1]).isSameAs(old);
    assertThat(net.average.heads()[heads]).isNull();
    assertThat(bytes(net)).isEqualTo(before);
  }

  /** The live ({@code false}) or averaged body's parameters, then each head's, in slot order. */
  private static List<ParameterSet> parameters(DoctorNet net, boolean averaged) {
    List<ParameterSet> sets = new ArrayList<>();
    sets.add(averaged ? net.average.body().parameters() : net.body.parameters());
    for (int h = 0; h < net.headCount(); h++) {
      sets.add(averaged ? new ParameterSet(net.average.heads()[h].parameters()) : net.headParameters[h]);
    }
    return sets;
  }

  private static byte[] values(List<ParameterSet> sets) {
    return BinaryState.toBytes(out -> {
      for (ParameterSet set : sets) {
        set.writeValues(out);
      }
    });
  }

  private static byte[] values(ParameterSet set) {
    return BinaryState.toBytes(set::writeValues);
  }

  private static double[] doubles(ParameterSet set) {
    int size = 0;
    for (int i = 0; i < set.size(); i++) {
      size += set.get(i).size();
    }
    double[] all = new double[size];
    int at = 0;
    for (int i = 0; i < set.size(); i++) {
      for (float v : set.get(i).value().data()) {
        all[at++] = v;
      }
    }
    return all;
  }

  private static double[] annotatorWeights(DoctorNetModel model) {
    if (model instanceof WeightedDoctorNetLabelModel weighted) {
      return weighted.weights();
    }
    if (model instanceof WeightedDoctorNetPaperLabelModel paper) {
      return paper.weights();
    }
    return new double[0];
  }

  private static byte[] bytes(DoctorNet net) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    net.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }
}
